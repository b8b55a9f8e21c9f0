//! The rules of chat, free of actors and SQL: who may send what to whom.

pub mod rules;
