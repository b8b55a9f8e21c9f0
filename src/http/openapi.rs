//! The OpenAPI document of every route, generated from the handlers' own annotations (utoipa),
//! served at `/api/openapi.json`, with Swagger UI (vendored: no network needed) at `/api/docs/`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    account_data, accounts, admin, admin_events, admin_push, admin_sessions, chat, devices,
    friends, groups, health, inbox, media, media_uploads, message_requests,
    notification_definitions, notifications, password, push, sessions, users, ws,
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "imcluster", description = "An actor-based instant-messaging cluster, ABP realtime-message compatible. Each field's limits (lengths, ranges, patterns, required) are stated on it; two rules span fields: a message names exactly one of `toUserId` and `groupId`, and U+0000 is refused (400) anywhere in a request, unknown JSON fields included, because it cannot be stored."),
    paths(
        accounts::register, accounts::login, accounts::logout, accounts::me,
        sessions::exchange, sessions::list, sessions::end_one, sessions::end_others,
        password::change, password::reset, password::make_reset_code,
        account_data::delete_me, account_data::export,
        admin_events::outbox, admin_events::dead_letters, admin_events::replay, admin_push::push,
        admin_sessions::list, admin_sessions::end_one, admin_sessions::end_all,
        health::health, health::ready, health::metrics,
        ws::connect,
        crate::signalr::endpoint::negotiate, crate::signalr::endpoint::connect,
        crate::signalr::endpoint::negotiate_notifications, crate::signalr::endpoint::connect_notifications,
        push::broadcast, push::to_user, push::to_connection, push::notification,
        notifications::my_notifications, notifications::my_notification, notifications::mark_read_state,
        notifications::delete_notification, notifications::all_subscriptions, notifications::subscriptions,
        notifications::is_subscribed, notifications::subscribe, notifications::unsubscribe,
        notifications::assignables, notifications::send,
        notification_definitions::groups, notification_definitions::group, notification_definitions::create_group,
        notification_definitions::update_group, notification_definitions::delete_group,
        notification_definitions::definitions, notification_definitions::definition,
        notification_definitions::create_definition, notification_definitions::update_definition,
        notification_definitions::delete_definition,
        inbox::list, inbox::unread_count, inbox::mark, inbox::remove, inbox::subscriptions, inbox::subscribe,
        inbox::unsubscribe,
        devices::register, devices::remove, devices::mine, devices::set_muted, devices::muted,
        media::upload_media, media::download, media::thumbnail, media::usage,
        media_uploads::begin_upload, media_uploads::complete_upload,
        users::my_card, users::update_my_card, users::my_settings, users::update_my_settings, users::search, users::user_card,
        friends::add_request, friends::create, friends::requests, friends::decide, friends::list, friends::all, friends::get_one,
        friends::update, friends::remove,
        groups::lifecycle::create, groups::lifecycle::search, groups::lifecycle::get_group, groups::lifecycle::update,
        groups::lifecycle::dismiss, groups::joining::join, groups::joining::requests, groups::joining::accept,
        groups::members::remove, groups::members::leave, groups::members::update_member, groups::lifecycle::transfer,
        groups::members::ban, groups::members::unban, groups::members::members, groups::members::my_groups,
        chat::my_messages, chat::group_messages, chat::my_last_messages, chat::search,
        message_requests::send_message, message_requests::recall, message_requests::read, message_requests::sync,
        message_requests::edit, message_requests::react, message_requests::hide, message_requests::reactions, message_requests::forward, message_requests::readers,
        admin::stats, admin::stats_history, admin::nodes, admin::connections, admin::kick, admin::ban, admin::unban, admin::users,
        admin::groups, admin::dismiss_group, admin::messages, admin::recall, admin::broadcast, admin::config,
    ),
    modifiers(&Security),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// Declares the two ways in: a bearer JWT, and the push API key.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// Swagger UI at `/api/docs/`, reading `/api/openapi.json` (which it also serves).
pub fn swagger() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
        .url("/api/openapi.json", ApiDoc::openapi())
}
