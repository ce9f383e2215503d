//! End-to-end tests of the `quell` binary.

mod hash;
mod index;
mod registry;
mod robust;
mod util;
