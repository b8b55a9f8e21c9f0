//! The rules of chat, free of actors and SQL: who may send what to whom, and what each
//! party sees of a message.

pub mod input;
pub mod media;
pub mod rules;
pub mod wire;
