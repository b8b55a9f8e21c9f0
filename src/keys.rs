//! How every layer names a user and a group: within a tenant (`None` = the host). The actors,
//! the bus between pods and the presence directory all key on these, and none of them owns
//! them.

/// A user within a tenant: the key of a user actor and of the presence directory.
pub type UserKey = (Option<uuid::Uuid>, uuid::Uuid);

/// A group within a tenant: the key of a group actor.
pub type GroupKey = (Option<uuid::Uuid>, i64);
