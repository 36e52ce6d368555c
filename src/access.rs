//! Who may do what: actors, roles and the whole permission matrix, in one place.
//!
//! Every operation of the library asks [`authorize`] before it changes or reveals
//! anything; nothing else in the crate decides permissions.

use crate::domain::event::{Event, EventStatus};
use crate::domain::people::User;
use crate::error::{Denial, Result};

pub use crate::domain::people::Role;

/// Who is acting: the anonymous public or a registered user.
#[derive(Debug, Clone)]
pub struct Actor(Who);

#[derive(Debug, Clone)]
enum Who {
    Public,
    User(User),
}

impl Actor {
    /// The anonymous public: no `--as`, no `TIX_USER`.
    pub fn public() -> Actor {
        Actor(Who::Public)
    }

    /// A registered user acting as themself.
    pub fn user(user: User) -> Actor {
        Actor(Who::User(user))
    }

    /// The acting user, if a registered one.
    pub fn as_user(&self) -> Option<&User> {
        match &self.0 {
            Who::User(u) => Some(u),
            Who::Public => None,
        }
    }

    fn is_admin(&self) -> bool {
        self.as_user().is_some_and(|u| u.role == Role::Admin)
    }

    /// How a signed-in actor is named in messages: `email (role)`.
    fn describe(&self) -> Option<String> {
        self.as_user().map(|u| format!("{} ({})", u.email, u.role))
    }
}

/// Something an actor wants to do, with the object it is done to.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Add a user account.
    AddUser,
    /// Mark a promoter verified.
    VerifyUser,
    /// Make the first admin while setting a database up (`init`): anyone who can write
    /// the file, while it has no admin yet.
    AddFirstAdmin {
        /// Admins the database has.
        admins: i64,
    },
    /// List every user.
    ListUsers,
    /// Copy the whole database, signing keys included, into another (admin only).
    CopyDatabase,
    /// See one user's account.
    ShowUser(&'a User),
    /// Create an event.
    CreateEvent,
    /// Find an event in listings (drafts are listed only for their promoter and admins).
    SeeEvent(&'a Event),
    /// Publish or cancel an event.
    ManageEvent(&'a Event),
    /// Assign or remove gate staff, or list them.
    ManageStaff(&'a Event),
    /// Create, update, delete or import tiers.
    ManageTiers(&'a Event),
    /// See tiers that are not active.
    SeeInactiveTiers(&'a Event),
    /// Buy tickets for oneself.
    Buy,
    /// Sell at the box office for someone else, or issue complimentary tickets.
    SellFor(&'a Event),
    /// Approve, cancel or refund an event's orders.
    ManageOrders(&'a Event),
    /// See all of an event's orders, tickets and audit log.
    SeeEventRecords(&'a Event),
    /// See one order: its buyer, the event's promoter or an admin.
    SeeOrder {
        /// The order's event.
        event: &'a Event,
        /// The order's buyer.
        buyer_id: i64,
    },
    /// See one ticket: its owner, the event's promoter or an admin.
    SeeTicket {
        /// The ticket's event.
        event: &'a Event,
        /// The ticket's owner.
        owner_id: i64,
    },
    /// Act as a ticket's holder (name the attendee, transfer it): its owner or an admin.
    HoldTicket {
        /// The ticket's owner.
        owner_id: i64,
    },
    /// Check tickets in at an event: its promoter, an admin, or staff assigned to it.
    CheckIn {
        /// The event.
        event: &'a Event,
        /// Whether the actor is assigned to the event as gate staff.
        is_staff: bool,
    },
    /// Work a gate at all (before the event is known): promoters, staff and admins.
    WorkGate,
    /// Export an event's door list (attendees): its promoter, an admin, or staff assigned
    /// to it. Orders, check-ins and the audit log are [`Action::SeeEventRecords`].
    ExportAttendees {
        /// The event.
        event: &'a Event,
        /// Whether the actor is assigned to the event as gate staff.
        is_staff: bool,
    },
    /// Record offline admissions by ticket id on the gate staff's word, at merge.
    AcceptManualAdmissions(&'a Event),
}

/// Decides whether `actor` may do `action`; the error says who may instead.
pub fn authorize(actor: &Actor, action: Action<'_>) -> Result<()> {
    Ok(decide(actor, action)?)
}

fn decide(actor: &Actor, action: Action<'_>) -> Result<(), Denial> {
    if let Action::AddFirstAdmin { admins } = action {
        return if admins == 0 {
            Ok(())
        } else {
            Err(Denial::AdminExists)
        };
    }
    if actor.is_admin() {
        return Ok(());
    }
    let me = actor.as_user();
    let owns = |event: &Event| me.is_some_and(|u| u.id == event.owner_id);
    let owner_only = |event: &Event| {
        if owns(event) {
            Ok(())
        } else {
            Err(Denial::NotEventOwner {
                event: event.id,
                owner: event.owner_email.clone(),
                who: actor.describe(),
            })
        }
    };
    // What concerns one event is decided alike for the public and for users.
    match action {
        Action::SeeEvent(event) if event.status != EventStatus::Draft || owns(event) => {
            return Ok(());
        }
        Action::SeeEvent(event) => {
            return Err(Denial::DraftEvent {
                event: event.id,
                owner: event.owner_email.clone(),
            });
        }
        Action::ManageEvent(event)
        | Action::ManageStaff(event)
        | Action::SeeInactiveTiers(event)
        | Action::SellFor(event)
        | Action::ManageOrders(event)
        | Action::SeeEventRecords(event)
        | Action::AcceptManualAdmissions(event) => return owner_only(event),
        Action::ManageTiers(event) => {
            owner_only(event)?;
            return match me {
                Some(u) if !u.verified => Err(Denial::NotVerified {
                    email: u.email.clone(),
                }),
                _ => Ok(()),
            };
        }
        _ => {}
    }
    // Everything else needs a signed-in user first.
    let Some(me) = me else {
        return Err(Denial::NeedsUser {
            doing: doing(action),
        });
    };
    let who = || format!("{} ({})", me.email, me.role);
    match action {
        // Decided above, for anyone.
        Action::AddFirstAdmin { .. }
        | Action::SeeEvent(_)
        | Action::ManageEvent(_)
        | Action::ManageStaff(_)
        | Action::SeeInactiveTiers(_)
        | Action::SellFor(_)
        | Action::ManageOrders(_)
        | Action::SeeEventRecords(_)
        | Action::AcceptManualAdmissions(_)
        | Action::ManageTiers(_) => Ok(()),
        Action::AddUser | Action::VerifyUser | Action::ListUsers | Action::CopyDatabase => {
            Err(Denial::AdminOnly {
                doing: match action {
                    Action::AddUser => "add users",
                    Action::VerifyUser => "verify promoters",
                    Action::CopyDatabase => "copy the whole database",
                    _ => "list users",
                },
                who: who(),
            })
        }
        Action::ShowUser(target) if target.id == me.id => Ok(()),
        Action::ShowUser(target) => Err(Denial::OthersAccount {
            target: target.email.clone(),
        }),
        Action::CreateEvent if me.role == Role::Promoter => Ok(()),
        Action::CreateEvent => Err(Denial::NotPromoter { who: who() }),
        Action::CheckIn { event, is_staff } | Action::ExportAttendees { event, is_staff } => {
            if owns(event) || (is_staff && me.role == Role::Staff) {
                Ok(())
            } else {
                Err(Denial::NotGateWorker {
                    event: event.id,
                    owner: event.owner_email.clone(),
                    who: who(),
                })
            }
        }
        Action::WorkGate if matches!(me.role, Role::Promoter | Role::Staff) => Ok(()),
        Action::WorkGate => Err(Denial::NoGateRole { who: who() }),
        Action::Buy if me.role == Role::Staff => Err(Denial::StaffCannotBuy {
            email: me.email.clone(),
        }),
        Action::Buy => Ok(()),
        Action::SeeOrder { event, buyer_id } if buyer_id == me.id || owns(event) => Ok(()),
        Action::SeeOrder { event, .. } => Err(Denial::OthersOrder {
            event: event.id,
            owner: event.owner_email.clone(),
        }),
        Action::SeeTicket { event, owner_id } if owner_id == me.id || owns(event) => Ok(()),
        Action::SeeTicket { event, .. } => Err(Denial::OthersTicket {
            event: event.id,
            owner: event.owner_email.clone(),
        }),
        Action::HoldTicket { owner_id } if owner_id == me.id => Ok(()),
        Action::HoldTicket { .. } => Err(Denial::NotHolder { who: who() }),
    }
}

/// What the public was trying to do, for the message that it needs to sign in.
fn doing(action: Action<'_>) -> &'static str {
    match action {
        Action::AddUser => "adding users",
        Action::VerifyUser => "verifying promoters",
        Action::ListUsers => "listing users",
        Action::CopyDatabase => "copying the database",
        Action::ShowUser(_) => "seeing an account",
        Action::CreateEvent => "creating an event",
        Action::CheckIn { .. } | Action::WorkGate => "checking tickets in",
        Action::ExportAttendees { .. } => "exporting the attendee list",
        Action::Buy => "buying tickets",
        Action::SeeOrder { .. } => "seeing an order",
        Action::SeeTicket { .. } => "seeing a ticket",
        Action::HoldTicket { .. } => "changing a ticket",
        _ => "this",
    }
}

/// How much of a list an actor may see, where a list is filtered rather than refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything (admins).
    All,
    /// What belongs to the events this user owns (a promoter), plus their own records.
    OwnEvents(i64),
    /// Only this user's own records.
    Own(i64),
}

/// A list whose rows are filtered by [`scope`].
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// Orders, across events.
    Orders,
    /// Tickets across events: the actor's own, or (`owner`) someone else's.
    Tickets {
        /// The e-mail of another holder whose tickets are asked for, if any.
        other_owner: Option<&'a str>,
    },
    /// The audit log across events.
    Audit,
}

/// What part of a list across events `actor` may see: admins all of it, promoters what
/// concerns their own events, everyone else their own records. Refused where even that
/// makes no sense (the public; a plain user asking for someone else's tickets; anyone
/// but a promoter or admin reading the audit log).
pub fn scope(actor: &Actor, listing: Listing<'_>) -> Result<Scope> {
    let Some(me) = actor.as_user() else {
        let doing = match listing {
            Listing::Orders => "listing orders",
            Listing::Tickets { .. } => "listing tickets",
            Listing::Audit => "reading the audit log",
        };
        return Err(Denial::NeedsUser { doing }.into());
    };
    match (me.role, listing) {
        (Role::Admin, _) => Ok(Scope::All),
        (Role::Promoter, Listing::Tickets { other_owner: None }) => Ok(Scope::Own(me.id)),
        (Role::Promoter, _) => Ok(Scope::OwnEvents(me.id)),
        (_, Listing::Orders) | (_, Listing::Tickets { other_owner: None }) => Ok(Scope::Own(me.id)),
        (
            _,
            Listing::Tickets {
                other_owner: Some(email),
            },
        ) => Err(Denial::OthersTickets {
            email: email.trim().to_string(),
        }
        .into()),
        (_, Listing::Audit) => Err(Denial::AuditLog {
            who: actor.describe().unwrap_or_default(),
        }
        .into()),
    }
}
