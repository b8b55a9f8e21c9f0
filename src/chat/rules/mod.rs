//! The rules of chat in one home, as pure functions over the facts the actors and the store
//! read (no actors, no SQL): who may send to whom (`sending`, which `typing` follows too),
//! what may be done with a stored message (`messages`), who may run a group (`groups`),
//! whom a message may mention (`mentions`) and who may see who read one (`receipts`).
//! Every protocol and route asks these; each has table tests covering every code it answers.

pub mod groups;
pub mod mentions;
pub mod messages;
pub mod operations;
pub mod receipts;
pub mod sending;

pub use sending::{check_group, check_private};
