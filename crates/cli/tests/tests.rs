//! End-to-end tests of the `quell` binary.

mod case;
mod hash;
mod index;
mod member;
mod registry;
mod robust;
mod tidy;
mod util;
mod video;
