//! One module per subcommand; each exposes one entry that returns a typed outcome.

pub mod inspect;
pub mod recover;
pub mod status;
