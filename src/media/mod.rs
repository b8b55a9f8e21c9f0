//! Media: files users upload and send in messages. The bytes stream into the media store
//! (`object_store`: a folder, or an S3-compatible store, where clients may also upload
//! directly with presigned URLs) without being held in memory, hashed and measured on the
//! way; their type is sniffed from the first bytes and checked; the same bytes from the same
//! user are one media. Images are measured and get a thumbnail, decoded within limits. Who may
//! download follows the messages that carry a media (`store::media`); uploads nobody sent are
//! swept.

pub mod direct;
mod image;
mod kind;
mod metadata;
mod store;
pub mod sweep;
mod upload;

pub use kind::{kind_of, sniff};
pub use store::{MediaStore, Presigned};
pub use upload::{upload, Refused, Uploaded};
