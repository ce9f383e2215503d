//! Exact digest maps.

use quell_hash::{Md5, Sha256};
use quell_index::{Md5Index, Sha256Index};

#[test]
fn digests_map_to_sorted_unique_ids() {
    let a = Md5::from_bytes([1; 16]);
    let b = Md5::from_bytes([2; 16]);
    let mut idx = Md5Index::new();
    assert!(idx.insert(9, a));
    assert!(idx.insert(3, a));
    assert!(!idx.insert(9, a), "same pair twice");
    assert!(idx.insert(9, b));
    assert_eq!(idx.get(&a), &[3, 9]);
    assert_eq!(idx.get(&b), &[9]);
    assert_eq!(idx.len(), 3);
    assert!(idx.remove(9, &a));
    assert!(!idx.remove(9, &a));
    assert_eq!(idx.get(&a), &[3]);
    assert!(idx.remove(3, &a));
    assert!(idx.get(&a).is_empty());
    assert_eq!(idx.len(), 1);

    let mut s = Sha256Index::new();
    let digest: Sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        .parse()
        .unwrap();
    s.insert(1, digest);
    assert_eq!(s.get(&digest), &[1]);
    assert!(s.get(&Sha256::from_bytes([0; 32])).is_empty());
}
