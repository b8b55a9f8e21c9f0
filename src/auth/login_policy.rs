//! Which of a user's sessions a new login ends (`auth.multi_login`): none beyond a count per
//! platform, the others of its platform, of its class of device, or all of them. A login from
//! the same install (`deviceId`) always replaces that install's older session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The login policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiLogin {
    /// Any number of sessions, up to `auth.max_sessions_per_platform` per platform (the
    /// oldest end first).
    #[default]
    Unlimited,
    /// One session per platform.
    OnePerPlatform,
    /// One session per class of device (mobile, pad, desktop, web).
    OnePerClass,
    /// One session in all.
    Single,
}

/// The kind of client a session runs on.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Platform {
    Ios,
    Android,
    Ipad,
    AndroidPad,
    Windows,
    Macos,
    Linux,
    /// What a login that names no platform counts as.
    #[default]
    Web,
    MiniWeb,
}

/// Platforms that count as one for `one_per_class`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceClass {
    Mobile,
    Pad,
    Desktop,
    Web,
}

impl Platform {
    /// The class of device it is.
    pub fn class(self) -> DeviceClass {
        match self {
            Platform::Ios | Platform::Android => DeviceClass::Mobile,
            Platform::Ipad | Platform::AndroidPad => DeviceClass::Pad,
            Platform::Windows | Platform::Macos | Platform::Linux => DeviceClass::Desktop,
            Platform::Web | Platform::MiniWeb => DeviceClass::Web,
        }
    }

    /// Its name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// A stored name read back (an unknown one counts as `web`).
    pub fn from_stored(name: &str) -> Platform {
        name.parse().unwrap_or_default()
    }
}

/// A session as the policy sees it.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub id: String,
    pub platform: Platform,
    pub device_id: Option<String>,
    pub created: DateTime<Utc>,
}

impl MultiLogin {
    /// The ids of the `existing` sessions a new login on `platform` (from `device_id`) ends.
    pub fn to_end(
        self,
        max_per_platform: usize,
        existing: &[LiveSession],
        platform: Platform,
        device_id: Option<&str>,
    ) -> Vec<String> {
        let same_install =
            |s: &LiveSession| device_id.is_some() && s.device_id.as_deref() == device_id;
        let mut ended: Vec<&LiveSession> = existing
            .iter()
            .filter(|s| {
                same_install(s)
                    || match self {
                        MultiLogin::Unlimited => false,
                        MultiLogin::OnePerPlatform => s.platform == platform,
                        MultiLogin::OnePerClass => s.platform.class() == platform.class(),
                        MultiLogin::Single => true,
                    }
            })
            .collect();
        if self == MultiLogin::Unlimited {
            let mut kept: Vec<&LiveSession> = existing
                .iter()
                .filter(|s| s.platform == platform && !same_install(s))
                .collect();
            kept.sort_by_key(|s| std::cmp::Reverse(s.created));
            // The new login takes one of the places.
            ended.extend(kept.into_iter().skip(max_per_platform.saturating_sub(1)));
        }
        ended.into_iter().map(|s| s.id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, platform: Platform, device: Option<&str>, age: i64) -> LiveSession {
        LiveSession {
            id: id.into(),
            platform,
            device_id: device.map(str::to_string),
            created: Utc::now() - chrono::Duration::seconds(age),
        }
    }

    fn existing() -> Vec<LiveSession> {
        vec![
            session("ios", Platform::Ios, Some("phone"), 50),
            session("android", Platform::Android, None, 40),
            session("web1", Platform::Web, None, 30),
            session("web2", Platform::Web, Some("laptop"), 20),
            session("mac", Platform::Macos, None, 10),
        ]
    }

    fn sorted(mut ids: Vec<String>) -> Vec<String> {
        ids.sort();
        ids
    }

    #[test]
    fn every_policy_ends_what_it_names() {
        let all = existing();
        let ios = Platform::Ios;
        assert!(MultiLogin::Unlimited.to_end(10, &all, ios, None).is_empty());
        assert_eq!(
            MultiLogin::OnePerPlatform.to_end(10, &all, ios, None),
            ["ios"]
        );
        assert_eq!(
            sorted(MultiLogin::OnePerClass.to_end(10, &all, ios, None)),
            ["android", "ios"]
        );
        assert_eq!(MultiLogin::Single.to_end(10, &all, ios, None).len(), 5);
        assert_eq!(
            sorted(MultiLogin::OnePerClass.to_end(10, &all, Platform::MiniWeb, None)),
            ["web1", "web2"]
        );
        assert_eq!(
            MultiLogin::OnePerClass.to_end(10, &all, Platform::Ipad, None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unlimited_keeps_the_newest_per_platform() {
        let all = existing();
        assert_eq!(
            MultiLogin::Unlimited.to_end(2, &all, Platform::Web, None),
            ["web1"]
        );
        assert_eq!(
            sorted(MultiLogin::Unlimited.to_end(1, &all, Platform::Web, None)),
            ["web1", "web2"]
        );
    }

    #[test]
    fn the_same_install_is_replaced_under_every_policy() {
        let all = existing();
        for policy in [
            MultiLogin::Unlimited,
            MultiLogin::OnePerPlatform,
            MultiLogin::OnePerClass,
        ] {
            let ended = policy.to_end(10, &all, Platform::Windows, Some("laptop"));
            assert!(ended.contains(&"web2".to_string()), "{policy:?}");
        }
    }

    #[test]
    fn platforms_read_their_wire_names() {
        assert_eq!(
            "android-pad".parse::<Platform>().unwrap(),
            Platform::AndroidPad
        );
        assert_eq!(Platform::MiniWeb.as_str(), "mini-web");
        assert_eq!(Platform::from_stored("toaster"), Platform::Web);
        assert!("Toaster".parse::<Platform>().is_err());
    }
}
