#![doc = include_str!("../../../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod abc;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod attribution;
pub mod clv;
pub mod column;
pub mod conflict;
pub mod customer;
pub mod dataset;
pub mod date;
pub mod document;
pub mod economics;
pub mod error;
pub mod evaluation;
pub mod ingest;
pub mod intern;
pub mod lines;
pub mod master;
pub mod membership;
pub mod model;
pub mod money;
pub mod ops;
pub mod rebate;
pub mod reject;
pub mod rfm;
pub mod sample;
pub mod segment;
pub mod summary;
pub mod transactions;
pub mod tree;

pub use dataset::{Dataset, DatasetBuilder, TxInput};
pub use date::{Date, Period, Timestamp};
pub use error::{Error, Location, Result};
pub use master::{MasterData, MasterDocument};
pub use money::Currency;
pub use reject::{RejectionReport, Strictness};
pub use summary::{Summary, SummaryState};
pub use transactions::{Transactions, TxChunk, TxKind};
