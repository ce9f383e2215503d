//! Exact frame skipping: which packets of an H.264 stream the hashed frames need.
//!
//! **Key decision: skip only what cannot change a hashed pixel, and only where frame numbers
//! are certain.** A picture decodes bit-exactly when every reference picture before it in
//! decode order since the last IDR is decoded, so a group of pictures (IDR to IDR) needs its
//! selected pictures and the reference pictures before the last selected one; non-reference
//! pictures (`nal_ref_idc == 0`) that are not selected, and everything after the last
//! selected picture, are dropped before decoding. The reference numbers frames in output
//! order, which for a stream starting with an IDR is presentation order, so a frame's number
//! is the rank of its timestamp; the decoder (`libav.rs`) checks that what it sent comes back
//! in exactly that order and otherwise decodes again without skipping.
//!
//! Packets holding anything other than slices, SEI, access unit delimiters or filler
//! (parameter sets, end of sequence, data partitions, anything unknown) are always decoded.

/// What an H.264 access unit holds, as far as skipping is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AccessUnit {
    /// It holds an IDR slice: a group of pictures starts here.
    pub(crate) idr: bool,
    /// A later picture may refer to it (a slice with `nal_ref_idc != 0`), or it holds
    /// something that is always decoded.
    pub(crate) reference: bool,
    /// It must be decoded whatever is selected.
    pub(crate) always: bool,
}

/// How the NAL units of a packet are delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NalFraming {
    /// Each NAL unit is preceded by its length in this many big-endian bytes (MP4, MKV:
    /// `avcC` extradata).
    Length(usize),
    /// Start codes `00 00 01` (transport streams, raw `.h264`).
    AnnexB,
}

impl NalFraming {
    /// From the stream's extradata: an `avcC` record (version 1) gives the length size.
    pub(crate) fn from_extradata(extradata: &[u8]) -> Self {
        match extradata {
            [1, _, _, _, b, ..] => NalFraming::Length(usize::from(b & 3) + 1),
            _ => NalFraming::AnnexB,
        }
    }
}

const ALWAYS: AccessUnit = AccessUnit {
    idr: false,
    reference: true,
    always: true,
};

/// Classifies a packet from its NAL headers; anything that does not parse is always decoded.
pub(crate) fn classify(data: &[u8], framing: NalFraming) -> AccessUnit {
    let mut headers = Vec::new();
    let parsed = match framing {
        NalFraming::Length(size) => length_prefixed(data, size, &mut headers),
        NalFraming::AnnexB => start_codes(data, &mut headers),
    };
    if !parsed || headers.is_empty() {
        return ALWAYS;
    }
    let mut unit = AccessUnit {
        idr: false,
        reference: false,
        always: false,
    };
    let mut slices = false;
    for h in headers {
        if h & 0x80 != 0 {
            // forbidden_zero_bit: not H.264 as understood here.
            return ALWAYS;
        }
        let (ref_idc, kind) = ((h >> 5) & 3, h & 0x1f);
        match kind {
            1 => {
                slices = true;
                unit.reference |= ref_idc != 0;
            }
            5 => {
                slices = true;
                unit.idr = true;
                unit.reference = true;
            }
            // SEI, access unit delimiter, filler: no effect on other pictures' pixels.
            6 | 9 | 12 => {}
            _ => {
                unit.always = true;
                unit.reference = true;
            }
        }
    }
    if !slices {
        unit.always = true;
        unit.reference = true;
    }
    unit
}

/// The first byte of each NAL unit; `false` if the lengths do not tile the packet exactly.
fn length_prefixed(mut data: &[u8], size: usize, headers: &mut Vec<u8>) -> bool {
    while !data.is_empty() {
        if data.len() < size {
            return false;
        }
        let len = data[..size]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        data = &data[size..];
        if len == 0 || len > data.len() {
            return false;
        }
        headers.push(data[0]);
        data = &data[len..];
    }
    true
}

/// The first byte after each `00 00 01`; `false` if the packet does not start with one.
fn start_codes(data: &[u8], headers: &mut Vec<u8>) -> bool {
    let start = data.iter().position(|&b| b != 0).unwrap_or(data.len());
    if start < 2 || data.get(start) != Some(&1) {
        return false;
    }
    let mut zeros = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == 1 && zeros >= 2 {
            match data.get(i + 1) {
                Some(&h) => headers.push(h),
                None => return false,
            }
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    true
}

/// One packet of a group of pictures, in decode order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GopPacket {
    /// Presentation timestamp.
    pub(crate) pts: i64,
    /// What it holds.
    pub(crate) unit: AccessUnit,
}

/// The decision for one group of pictures: per packet in decode order, its frame number and
/// whether to decode it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GopPlan {
    /// Frame number (output order over the whole stream) of each packet.
    pub(crate) numbers: Vec<u64>,
    /// Whether each packet is sent to the decoder.
    pub(crate) send: Vec<bool>,
}

/// Plans a group of pictures whose first frame is number `first`; `None` if two packets share
/// a timestamp (then output order is not certain).
pub(crate) fn plan_gop(packets: &[GopPacket], first: u64, frame_mod: u64) -> Option<GopPlan> {
    let mut order: Vec<usize> = (0..packets.len()).collect();
    order.sort_by_key(|&i| packets[i].pts);
    if order
        .windows(2)
        .any(|w| packets[w[0]].pts == packets[w[1]].pts)
    {
        return None;
    }
    let mut numbers = vec![0; packets.len()];
    for (rank, &i) in order.iter().enumerate() {
        numbers[i] = first + rank as u64;
    }
    let selected = |i: usize| numbers[i].is_multiple_of(frame_mod);
    // Pictures that need the references before them: the selected ones, and any picture
    // that is always decoded.
    let last_needing = (0..packets.len())
        .rev()
        .find(|&i| selected(i) || packets[i].unit.always);
    let send = (0..packets.len())
        .map(|i| {
            let unit = packets[i].unit;
            unit.always
                || selected(i)
                || (unit.reference && last_needing.is_some_and(|last| i < last))
        })
        .collect();
    Some(GopPlan { numbers, send })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(idr: bool, reference: bool) -> AccessUnit {
        AccessUnit {
            idr,
            reference,
            always: false,
        }
    }

    #[test]
    fn length_prefixed_slices_are_classified_by_their_headers() {
        let framing = NalFraming::Length(4);
        // SEI (ref 0) + IDR slice (ref 3).
        let idr = [0, 0, 0, 2, 0x06, 0xaa, 0, 0, 0, 2, 0x65, 0x88];
        assert_eq!(classify(&idr, framing), unit(true, true));
        // Non-IDR slice with nal_ref_idc 2: a reference P picture.
        assert_eq!(
            classify(&[0, 0, 0, 2, 0x41, 0x9a], framing),
            unit(false, true)
        );
        // nal_ref_idc 0: a disposable B picture.
        assert_eq!(
            classify(&[0, 0, 0, 2, 0x01, 0x9e], framing),
            unit(false, false)
        );
        // An SPS in band: always decoded.
        assert_eq!(classify(&[0, 0, 0, 2, 0x67, 0x64], framing), ALWAYS);
        // Lengths that overrun, or a zero length: always decoded.
        assert_eq!(classify(&[0, 0, 0, 9, 0x01, 0x9e], framing), ALWAYS);
        assert_eq!(classify(&[0, 0, 0, 0], framing), ALWAYS);
        assert_eq!(classify(&[], framing), ALWAYS);
        // forbidden_zero_bit set.
        assert_eq!(classify(&[0, 0, 0, 2, 0x81, 0x9e], framing), ALWAYS);
    }

    #[test]
    fn annex_b_slices_are_classified_by_their_headers() {
        let framing = NalFraming::AnnexB;
        let b = [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x01, 0x9e, 0x00, 0x12];
        assert_eq!(classify(&b, framing), unit(false, false));
        let p = [0, 0, 1, 0x21, 0x9a, 0, 0, 0, 1, 0x21, 0x9b];
        assert_eq!(classify(&p, framing), unit(false, true));
        // No start code at the front.
        assert_eq!(classify(&[0x01, 0x9e], framing), ALWAYS);
        // A start code at the very end.
        assert_eq!(classify(&[0, 0, 1, 0x01, 0, 0, 1], framing), ALWAYS);
    }

    #[test]
    fn avcc_extradata_gives_the_length_size() {
        assert_eq!(
            NalFraming::from_extradata(&[1, 0x64, 0, 0x1f, 0xff, 0xe1]),
            NalFraming::Length(4)
        );
        assert_eq!(
            NalFraming::from_extradata(&[1, 0x64, 0, 0x1f, 0xfd]),
            NalFraming::Length(2)
        );
        assert_eq!(
            NalFraming::from_extradata(&[0, 0, 0, 1, 0x67]),
            NalFraming::AnnexB
        );
        assert_eq!(NalFraming::from_extradata(&[]), NalFraming::AnnexB);
    }

    /// I P B B P B B (decode order) with display order I B B P B B P.
    fn ibbp() -> Vec<GopPacket> {
        let p = |pts, reference| GopPacket {
            pts,
            unit: unit(pts == 0, reference),
        };
        vec![
            p(0, true),
            p(3, true),
            p(1, false),
            p(2, false),
            p(6, true),
            p(4, false),
            p(5, false),
        ]
    }

    #[test]
    fn frame_numbers_are_presentation_ranks() {
        let plan = plan_gop(&ibbp(), 10, 1).unwrap();
        assert_eq!(plan.numbers, vec![10, 13, 11, 12, 16, 14, 15]);
        assert!(plan.send.iter().all(|&s| s));
    }

    #[test]
    fn unselected_non_references_and_the_tail_are_dropped() {
        // Frames 0 and 4 selected: 4 is the B at decode index 5, which needs I, P3, P6.
        let plan = plan_gop(&ibbp(), 0, 4).unwrap();
        assert_eq!(plan.send, vec![true, true, false, false, true, true, false]);
        // Only frame 0: everything after the IDR goes.
        let plan = plan_gop(&ibbp(), 0, 100).unwrap();
        assert_eq!(
            plan.send,
            vec![true, false, false, false, false, false, false]
        );
        // Nothing selected in this group: nothing is decoded.
        let plan = plan_gop(&ibbp(), 1, 100).unwrap();
        assert!(plan.send.iter().all(|&s| !s));
    }

    #[test]
    fn shared_timestamps_refuse_a_plan() {
        let mut gop = ibbp();
        gop[2].pts = 3;
        assert_eq!(plan_gop(&gop, 0, 1), None);
    }

    proptest! {
        /// Against the definition: a packet is sent iff it is always decoded, selected, or a
        /// reference some later-decoded needing picture depends on.
        #[test]
        fn plan_matches_the_definition(
            refs in proptest::collection::vec((any::<bool>(), any::<bool>()), 1..40),
            perm_seed in any::<u64>(),
            first in 0u64..100,
            frame_mod in 1u64..8,
        ) {
            let n = refs.len();
            // A pseudo-random permutation of presentation times.
            let mut pts: Vec<i64> = (0..n as i64).collect();
            let mut s = perm_seed | 1;
            for i in (1..n).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                pts.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let packets: Vec<GopPacket> = refs.iter().zip(&pts).map(|(&(r, a), &p)| GopPacket {
                pts: p * 512,
                unit: AccessUnit { idr: false, reference: r || a, always: a },
            }).collect();
            let plan = plan_gop(&packets, first, frame_mod).unwrap();
            for i in 0..n {
                prop_assert_eq!(plan.numbers[i], first + pts[i] as u64);
                let selected = |k: usize| (first + pts[k] as u64).is_multiple_of(frame_mod);
                let needed_later = (i + 1..n).any(|k| selected(k) || packets[k].unit.always);
                let expect = packets[i].unit.always
                    || selected(i)
                    || (packets[i].unit.reference && needed_later);
                prop_assert_eq!(plan.send[i], expect, "packet {}", i);
            }
        }
    }
}
