//! Who may do what: actors, roles and the whole permission matrix, in one place.
//!
//! Every operation of the library asks [`authorize`] before it changes or reveals
//! anything; nothing else in the crate decides permissions.

use crate::domain::event::Event;
use crate::domain::people::User;
use crate::error::{Error, Result};

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

    fn owns(&self, event: &Event) -> bool {
        self.as_user().is_some_and(|u| u.id == event.owner_id)
    }

    /// How the actor is named in messages.
    fn describe(&self) -> String {
        match &self.0 {
            Who::Public => "the public (no --as user)".into(),
            Who::User(u) => format!("{} ({})", u.email, u.role),
        }
    }
}

/// Something an actor wants to do, with the object it is done to.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Add a user account.
    AddUser,
    /// Mark a promoter verified.
    VerifyUser,
    /// List every user.
    ListUsers,
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
    /// Record offline admissions by ticket id on the gate staff's word, at merge.
    AcceptManualAdmissions(&'a Event),
}

/// Decides whether `actor` may do `action`; the error says who may instead.
pub fn authorize(actor: &Actor, action: Action<'_>) -> Result<()> {
    if actor.is_admin() {
        return Ok(());
    }
    let who = actor.describe();
    let need_login = |what: &str| {
        Error::denied(format!(
            "{what} needs a signed-in user; pass --as EMAIL or set TIX_USER"
        ))
    };
    let user = actor.as_user();
    let is_me = |id: i64| user.is_some_and(|u| u.id == id);
    match action {
        Action::AddUser | Action::VerifyUser | Action::ListUsers => {
            let what = match action {
                Action::AddUser => "add users",
                Action::VerifyUser => "verify promoters",
                _ => "list users",
            };
            Err(Error::denied(format!(
                "only an admin may {what}; {who} is not one"
            )))
        }
        Action::ShowUser(target) => match user {
            Some(u) if u.id == target.id => Ok(()),
            Some(_) => Err(Error::denied(format!(
                "only an admin or {} themself may see that account",
                target.email
            ))),
            None => Err(need_login("seeing an account")),
        },
        Action::CreateEvent => match user {
            Some(u) if u.role == Role::Promoter => Ok(()),
            Some(_) => Err(Error::denied(format!(
                "only promoters and admins may create events; {who} is not one (an admin can add a promoter with `tix user add EMAIL --name NAME --role promoter`)"
            ))),
            None => Err(need_login("creating an event")),
        },
        Action::SeeEvent(event) => {
            if event.status != crate::domain::event::EventStatus::Draft || actor.owns(event) {
                Ok(())
            } else {
                Err(Error::denied(format!(
                    "event {} is a draft; only its promoter ({}) or an admin may see it",
                    event.id, event.owner_email
                )))
            }
        }
        Action::ManageEvent(event)
        | Action::ManageStaff(event)
        | Action::SeeInactiveTiers(event)
        | Action::SellFor(event)
        | Action::ManageOrders(event)
        | Action::SeeEventRecords(event)
        | Action::AcceptManualAdmissions(event) => owner_only(actor, event, user.is_some(), &who),
        Action::CheckIn { event, is_staff } => {
            if actor.owns(event) || (is_staff && user.is_some_and(|u| u.role == Role::Staff)) {
                Ok(())
            } else if user.is_none() {
                Err(need_login("checking tickets in"))
            } else {
                Err(Error::denied(format!(
                    "only the promoter of event {} ({}), gate staff assigned to it or an admin may check tickets in there; {who} may not",
                    event.id, event.owner_email
                )))
            }
        }
        Action::WorkGate => match user {
            Some(u) if matches!(u.role, Role::Promoter | Role::Staff) => Ok(()),
            Some(_) => Err(Error::denied(format!(
                "only promoters, gate staff and admins check tickets in; {who} is none of them"
            ))),
            None => Err(need_login("checking tickets in")),
        },
        Action::Buy => match user {
            Some(u) if u.role == Role::Staff => Err(Error::denied(format!(
                "gate staff accounts only check tickets in; {} cannot buy tickets (use a personal account)",
                u.email
            ))),
            Some(_) => Ok(()),
            None => Err(need_login("buying tickets")),
        },
        Action::SeeOrder { event, buyer_id } => {
            if is_me(buyer_id) || actor.owns(event) {
                Ok(())
            } else if user.is_none() {
                Err(need_login("seeing an order"))
            } else {
                Err(Error::denied(format!(
                    "only the buyer, the promoter of event {} ({}) or an admin may see this order",
                    event.id, event.owner_email
                )))
            }
        }
        Action::SeeTicket { event, owner_id } => {
            if is_me(owner_id) || actor.owns(event) {
                Ok(())
            } else if user.is_none() {
                Err(need_login("seeing a ticket"))
            } else {
                Err(Error::denied(format!(
                    "only the ticket's owner, the promoter of event {} ({}) or an admin may see it",
                    event.id, event.owner_email
                )))
            }
        }
        Action::HoldTicket { owner_id } => {
            if is_me(owner_id) {
                Ok(())
            } else if user.is_none() {
                Err(need_login("changing a ticket"))
            } else {
                Err(Error::denied(format!(
                    "only the ticket's owner may do this; {who} does not own it"
                )))
            }
        }
        Action::ManageTiers(event) => {
            owner_only(actor, event, user.is_some(), &who)?;
            match user {
                Some(u) if !u.verified => Err(Error::denied(format!(
                    "promoter {} is not verified yet; an admin must run `tix user verify {}` before they may create or change tiers",
                    u.email, u.email
                ))),
                _ => Ok(()),
            }
        }
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
        let what = match listing {
            Listing::Orders => "listing orders",
            Listing::Tickets { .. } => "listing tickets",
            Listing::Audit => "reading the audit log",
        };
        return Err(Error::denied(format!(
            "{what} needs a signed-in user; pass --as EMAIL or set TIX_USER"
        )));
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
        ) => Err(Error::denied(format!(
            "only an admin, a promoter (for their events) or {} themself may list their tickets",
            email.trim()
        ))),
        (_, Listing::Audit) => Err(Error::denied(format!(
            "only an admin may read the whole audit log and a promoter that of their own events; {} is neither",
            actor.describe()
        ))),
    }
}

fn owner_only(actor: &Actor, event: &Event, signed_in: bool, who: &str) -> Result<()> {
    if actor.owns(event) {
        return Ok(());
    }
    let base = format!(
        "only the promoter who owns event {} ({}) or an admin may do this",
        event.id, event.owner_email
    );
    if signed_in {
        Err(Error::denied(format!("{base}; you are acting as {who}")))
    } else {
        Err(Error::denied(format!(
            "{base}; pass --as EMAIL or set TIX_USER"
        )))
    }
}
