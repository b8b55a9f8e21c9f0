//! imcluster: an instant-messaging cluster built on actors. See the README for the tour.

pub mod actors;
pub mod auth;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod delivery;
pub mod history;
pub mod hooks;
pub mod http;
pub mod ids;
pub mod keys;
pub mod media;
pub mod metrics;
pub mod notifications;
pub mod offline_push;
pub mod open_files;
pub mod protocol;
pub mod requests;
pub mod retention;
pub mod signalr;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
