//! Error codes clients see, on every protocol: ABP's keep their numbers; this product's are
//! `IM:<Name>`. Each code knows its text, its HTTP status and whether ABP counts it a business
//! error, so no code is written as a string anywhere else.

/// A stable error code and the message people read with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Code {
    RecallWindowPassed,
    MessageIncomplete,
    NotGroupMember,
    GroupSendingDisabled,
    GroupNoAnonymous,
    GroupBanned,
    GroupNotFound,
    RejectsAllMessages,
    BlacklistedYou,
    RejectsAnonymous,
    NotFriends,
    UserNotFound,
    RefusesFriends,
    AlreadyFriends,
    BadFrame,
    FrameTooLarge,
    RateLimited,
    Forbidden,
    NotFound,
    Unavailable,
    Validation,
    BadRequest,
    Unauthorized,
    Banned,
    BadCredentials,
    TooManyAttempts,
    UserNameTaken,
    Conflict,
    GroupFull,
    TooLarge,
    MethodNotAllowed,
    ServerError,
    Rejected,
    UnsupportedMedia,
}

impl Code {
    /// The code's text on the wire, what people read, its HTTP status.
    #[rustfmt::skip]
    fn row(self) -> (&'static str, &'static str, u16) {
        match self {
            Code::RecallWindowPassed => ("01303", "The message can no longer be recalled: the recall window has passed", 403),
            Code::MessageIncomplete => ("01400", "The message is incomplete", 400),
            Code::NotGroupMember => ("01401", "You are not a member of this group", 403),
            Code::GroupSendingDisabled => ("02400", "The group does not allow sending messages", 403),
            Code::GroupNoAnonymous => ("02401", "The group does not allow anonymous messages", 403),
            Code::GroupBanned => ("02403", "The administrator has banned you from speaking!", 403),
            Code::GroupNotFound => ("02404", "The group does not exist", 404),
            Code::RejectsAllMessages => ("03400", "The user has rejected all messages!", 403),
            Code::BlacklistedYou => ("03401", "The user rejects the message you sent!", 403),
            Code::RejectsAnonymous => ("03402", "Users do not receive anonymous comments!", 403),
            Code::NotFriends => ("03403", "Sending the message failed: the person needs to agree to add a friend!", 403),
            Code::UserNotFound => ("03404", "Sending the message failed: the user does not exist or is deactivated!", 404),
            Code::RefusesFriends => ("03410", "Users refuse to add friends", 403),
            Code::AlreadyFriends => ("03411", "The other party is already your friend or has sent an authentication request", 409),
            Code::BadFrame => ("IM:BadFrame", "The frame is not valid", 400),
            Code::FrameTooLarge => ("IM:FrameTooLarge", "The frame is too large", 413),
            Code::RateLimited => ("IM:RateLimited", "Too many frames: slow down", 429),
            Code::Forbidden => ("IM:Forbidden", "You may not do that", 403),
            Code::NotFound => ("IM:NotFound", "No such thing", 404),
            Code::Unavailable => ("IM:Unavailable", "Storage is unavailable: nothing was stored, try again", 503),
            Code::Validation => ("IM:Validation", "A field is not valid", 400),
            Code::BadRequest => ("IM:BadRequest", "The request is not valid", 400),
            Code::Unauthorized => ("IM:Unauthorized", "A valid token is needed", 401),
            Code::Banned => ("IM:Banned", "This account is banned", 403),
            Code::BadCredentials => ("IM:BadCredentials", "Wrong user name or password", 401),
            Code::TooManyAttempts => ("IM:TooManyAttempts", "Too many failed logins: try again later", 429),
            Code::UserNameTaken => ("IM:UserNameTaken", "The user name is taken", 409),
            Code::Conflict => ("IM:Conflict", "It already exists", 409),
            Code::GroupFull => ("IM:GroupFull", "The group is full", 409),
            Code::TooLarge => ("IM:TooLarge", "The body is too large", 413),
            Code::MethodNotAllowed => ("IM:MethodNotAllowed", "The route does not take this method", 405),
            Code::ServerError => ("IM:ServerError", "The server failed", 500),
            Code::Rejected => ("IM:Rejected", "The message was refused by moderation", 403),
            Code::UnsupportedMedia => ("IM:UnsupportedMedia", "This kind of file is not accepted", 415),
        }
    }

    /// The code as it appears in `error.code`.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// What the code means, for people (ABP's English texts where it has them).
    pub fn message(self) -> &'static str {
        self.row().1
    }

    /// The HTTP status a route answers with this code.
    pub fn http_status(self) -> u16 {
        self.row().2
    }

    /// Whether ABP counts it a business error (its numbered codes): ABP's hub answers those
    /// with a notice rather than a failed invocation.
    pub fn is_business(self) -> bool {
        self.as_str()
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
    }

    /// Every code.
    pub fn all() -> impl Iterator<Item = Code> {
        <Code as strum::IntoEnumIterator>::iter()
    }

    /// The code written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::all().find(|c| c.as_str() == text)
    }

    /// The code an HTTP error status stands for when nothing more is known (a route actix
    /// refused before any handler ran).
    pub fn of_status(status: u16) -> Code {
        match status {
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            413 => Code::TooLarge,
            s if s >= 500 => Code::ServerError,
            _ => Code::BadRequest,
        }
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::all() {
            assert!(seen.insert(code.as_str()), "{code:?} twice");
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.http_status()), "{code:?}");
        }
        assert_eq!(seen.len(), 34);
        assert!(Code::NotFriends.is_business() && !Code::NotFound.is_business());
        assert_eq!(Code::of_status(405), Code::MethodNotAllowed);
        assert_eq!(Code::of_status(502), Code::ServerError);
    }
}
