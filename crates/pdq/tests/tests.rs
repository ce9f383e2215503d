//! quell-pdq's integration tests: golden vectors, the streaming pipeline against a literal
//! port of the reference, dihedral properties and bad input.

mod bad_input;
mod dihedral;
mod golden;
mod oracle;
mod reference;
mod vectors;
