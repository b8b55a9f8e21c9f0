//! Scenario tests: real nodes on random ports, real HTTP and WebSocket clients, real SQLite and
//! (when configured) PostgreSQL. One test crate, one module per capability.

mod cutoff;
mod helpers;
mod history;
mod hub_client;
mod pods;
mod raw_hub;
mod redis_cluster_server;
mod s3_server;
mod ws;

mod abp;
mod account_data;
mod accounts;
mod admin;
mod browser;
mod chat;
mod cluster;
mod config;
mod deploy;
mod faults;
mod forwards;
mod friends;
mod groups;
mod hooks;
mod ids;
mod injection;
mod js_client;
mod logs;
mod media;
mod media_s3;
mod notifications;
mod openapi;
mod operations;
mod push_jobs;
mod races;
mod receipts;
mod redis_cluster;
mod requests;
mod retention;
mod schema;
mod security;
mod sessions;
mod signalr;
mod tokens;
