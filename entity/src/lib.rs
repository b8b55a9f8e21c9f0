//! SeaORM entities: the ABP `realtime-message` tables, mirrored column for column
//! (see `spec/SCHEMA.md`), and the tables this product adds. One file per table.

pub mod auth_session;
pub mod chat_group;
pub mod client_message_id;
pub mod conversation_setting;
pub mod event_dead_letter;
pub mod event_outbox;
pub mod group_chat_black;
pub mod group_join_request;
pub mod group_message;
pub mod group_setting;
pub mod message_change;
pub mod message_edit;
pub mod message_hide;
pub mod message_mention;
pub mod message_reaction;
pub mod notification;
pub mod notification_definition;
pub mod notification_definition_group;
pub mod outbox_lease;
pub mod password_reset;
pub mod push_token;
pub mod read_position;
pub mod refresh_token;
pub mod revoked_token;
pub mod user_chat_card;
pub mod user_chat_friend;
pub mod user_chat_group;
pub mod user_chat_setting;
pub mod user_credential;
pub mod user_group_card;
pub mod user_message;
pub mod user_notification;
pub mod user_preference;
pub mod user_subscribe;
