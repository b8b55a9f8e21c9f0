//! Error codes clients see. ABP's keep their numbers; this product's are `IM:<Name>`.

/// A stable error code and the message people read with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl Code {
    /// The code as it appears in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::RecallWindowPassed => "01303",
            Code::MessageIncomplete => "01400",
            Code::NotGroupMember => "01401",
            Code::GroupSendingDisabled => "02400",
            Code::GroupNoAnonymous => "02401",
            Code::GroupBanned => "02403",
            Code::GroupNotFound => "02404",
            Code::RejectsAllMessages => "03400",
            Code::BlacklistedYou => "03401",
            Code::RejectsAnonymous => "03402",
            Code::NotFriends => "03403",
            Code::UserNotFound => "03404",
            Code::RefusesFriends => "03410",
            Code::AlreadyFriends => "03411",
            Code::BadFrame => "IM:BadFrame",
            Code::FrameTooLarge => "IM:FrameTooLarge",
            Code::RateLimited => "IM:RateLimited",
            Code::Forbidden => "IM:Forbidden",
            Code::NotFound => "IM:NotFound",
            Code::Unavailable => "IM:Unavailable",
        }
    }

    /// What the code means, for people (ABP's English texts where it has them).
    pub fn message(self) -> &'static str {
        match self {
            Code::RecallWindowPassed => {
                "The message can no longer be recalled: the recall window has passed"
            }
            Code::MessageIncomplete => "The message is incomplete",
            Code::NotGroupMember => "You are not a member of this group",
            Code::GroupSendingDisabled => "The group does not allow sending messages",
            Code::GroupNoAnonymous => "The group does not allow anonymous messages",
            Code::GroupBanned => "The administrator has banned you from speaking!",
            Code::GroupNotFound => "The group does not exist",
            Code::RejectsAllMessages => "The user has rejected all messages!",
            Code::BlacklistedYou => "The user rejects the message you sent!",
            Code::RejectsAnonymous => "Users do not receive anonymous comments!",
            Code::NotFriends => {
                "Sending the message failed: the person needs to agree to add a friend!"
            }
            Code::UserNotFound => {
                "Sending the message failed: the user does not exist or is deactivated!"
            }
            Code::RefusesFriends => "Users refuse to add friends",
            Code::AlreadyFriends => {
                "The other party is already your friend or has sent an authentication request"
            }
            Code::BadFrame => "The frame is not valid",
            Code::FrameTooLarge => "The frame is too large",
            Code::RateLimited => "Too many frames: slow down",
            Code::Forbidden => "You may not do that",
            Code::NotFound => "No such thing",
            Code::Unavailable => "Storage is unavailable: nothing was stored, try again",
        }
    }

    /// Every code.
    pub const ALL: [Code; 20] = [
        Code::RecallWindowPassed,
        Code::MessageIncomplete,
        Code::NotGroupMember,
        Code::GroupSendingDisabled,
        Code::GroupNoAnonymous,
        Code::GroupBanned,
        Code::GroupNotFound,
        Code::RejectsAllMessages,
        Code::BlacklistedYou,
        Code::RejectsAnonymous,
        Code::NotFriends,
        Code::UserNotFound,
        Code::RefusesFriends,
        Code::AlreadyFriends,
        Code::BadFrame,
        Code::FrameTooLarge,
        Code::RateLimited,
        Code::Forbidden,
        Code::NotFound,
        Code::Unavailable,
    ];

    /// The code written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The HTTP status a route answers with this code.
    pub fn http_status(self) -> u16 {
        match self {
            Code::UserNotFound | Code::GroupNotFound | Code::NotFound => 404,
            Code::MessageIncomplete | Code::BadFrame => 400,
            Code::FrameTooLarge => 413,
            Code::AlreadyFriends => 409,
            Code::RateLimited => 429,
            Code::Unavailable => 503,
            _ => 403,
        }
    }
}
