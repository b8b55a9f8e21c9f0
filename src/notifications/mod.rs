//! Notifications: ABP's notification system. Definitions (with a few built in) say what may be
//! published; a publication is stored once, put in each recipient's inbox in batches, sent
//! live to the recipients' sessions (native `notification` frames, `get-notification` on the
//! notifications hub) and handed to mobile push for those with no session in the foreground.
//! Inbox reads and changes are one core here that the HTTP routes (ABP's and the native ones)
//! and the hub call alike.

pub mod builtin;
pub mod inbox;
pub mod publish;
pub mod upkeep;

pub use publish::{publish, record, Audience, Publication, Published};

/// ABP's `NotificationSeverity` values a publisher may give.
pub const SEVERITIES: [i16; 5] = [0, 10, 20, 30, 40];

/// ABP's `NotificationLifetime`, `NotificationType` and `NotificationContentType` values.
pub const LIFETIMES: [i32; 2] = [0, 1];
pub const TYPES: [i32; 4] = [0, 10, 20, 30];
pub const CONTENT_TYPES: [i32; 4] = [0, 1, 2, 3];

/// The .NET type name ABP stores with a notification's data.
pub const DATA_TYPE_NAME: &str =
    "LINGYUN.Abp.Notifications.NotificationData, LINGYUN.Abp.Notifications.Core";
