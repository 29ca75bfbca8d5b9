//! One module per subcommand; each exposes one `run` entry that returns a typed outcome.

pub mod inspect;
