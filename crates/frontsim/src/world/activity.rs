//! The company's own life while the simulator runs (`SimConfig::activity_per_minute`):
//! customers write in and teammates assign and tag, through the same write paths as the API,
//! so each action leaves the state and the events that Front would record for it.

use super::generate::{fill, letter_text, people};
use super::words::*;
use super::*;

/// Customers write back to, and teammates work on, the most recent conversations.
const RECENT: usize = 100;
/// Of the customers writing in, this share has never written before.
const NEW_CUSTOMER_SHARE: f64 = 0.1;

/// Draws the actions and their timing; deterministic for a seed.
#[derive(Debug)]
pub struct Activity {
    rng: Rng,
}

impl Activity {
    pub fn new(seed: u64) -> Activity {
        Activity {
            rng: Rng::derive(seed, "activity"),
        }
    }

    /// Seconds until the next action: `per_minute` actions a minute on average, each wait
    /// drawn between half and one and a half times the mean so that actions do not arrive in
    /// lockstep.
    pub fn next_delay(&mut self, per_minute: u32) -> f64 {
        60.0 / f64::from(per_minute.max(1)) * (0.5 + self.rng.unit())
    }

    /// One action at `at`: half are customer messages (a third of them replies), a quarter
    /// assignments and a quarter tags. An action with nothing to act on (no open conversation,
    /// say) becomes a new customer message instead.
    pub fn step(&mut self, world: &mut World, at: f64) {
        let done = match self.rng.below(12) {
            0..=3 => false,
            4..=5 => self.reply(world, at),
            6..=8 => self.assign(world, at),
            _ => self.tag(world, at),
        };
        if !done {
            self.write_in(world, at);
        }
    }

    /// One of the most recent conversations that `keep` accepts.
    fn recent(&mut self, world: &World, keep: impl Fn(&Conversation) -> bool) -> Option<String> {
        let candidates: Vec<&String> = world
            .conversations
            .values()
            .rev()
            .filter(|c| keep(c))
            .take(RECENT)
            .map(|c| &c.id)
            .collect();
        (!candidates.is_empty()).then(|| (*self.rng.pick(&candidates)).clone())
    }

    /// A teammate who is a person (not the API identity), if there is one.
    fn person(&mut self, world: &World) -> Option<String> {
        let people = people(world);
        (!people.is_empty()).then(|| self.rng.pick(&people).clone())
    }

    /// A customer emails the company about something new.
    fn write_in(&mut self, world: &mut World, at: f64) {
        let channels: Vec<&Channel> = world.channels.values().filter(|c| c.is_email()).collect();
        if channels.is_empty() {
            return;
        }
        let channel = (*self.rng.pick(&channels)).clone();
        let known: Vec<(&str, Option<&str>)> = world
            .contacts
            .values()
            .flat_map(|contact| {
                contact
                    .handles
                    .iter()
                    .filter(|h| h.source == "email")
                    .map(|h| (h.handle.as_str(), contact.name.as_deref()))
            })
            .collect();
        let (handle, name) = if known.is_empty() || self.rng.chance(NEW_CUSTOMER_SHARE) {
            let first = *self.rng.pick(FIRST_NAMES);
            let last = *self.rng.pick(LAST_NAMES);
            let number = self.rng.between(100, 999);
            let handle = format!("{first}.{last}{number}@example.net").to_lowercase();
            (handle, None)
        } else {
            let (handle, name) = *self.rng.pick(&known);
            (handle.to_owned(), name.map(str::to_owned))
        };
        let template = *self.rng.pick(SUBJECTS);
        let subject = fill(template, &mut self.rng);
        let (text, body) = letter_text(
            &mut self.rng,
            INBOUND_LINES,
            "Hello,",
            name.as_deref().unwrap_or_default(),
        );
        world.receive(
            &channel,
            &handle,
            None,
            Letter {
                subject,
                body,
                text,
            },
            at,
        );
    }

    /// A customer answers a recent conversation, through the channel it started on.
    fn reply(&mut self, world: &mut World, at: f64) -> bool {
        let Some(id) = self.recent(world, |c| {
            matches!(
                c.state,
                ConversationState::Open | ConversationState::Archived
            ) && c.recipient.is_some()
        }) else {
            return false;
        };
        let Some(conversation) = world.conversations.get(&id) else {
            return false;
        };
        let kind = conversation
            .message_ids
            .first()
            .and_then(|m| world.messages.get(m))
            .map(|m| m.kind);
        let channel = world
            .channels
            .values()
            .find(|c| {
                c.inbox_id.as_deref() == Some(conversation.inbox_id.as_str())
                    && Some(c.message_type()) == kind
            })
            .cloned();
        let (Some(channel), Some(customer)) = (channel, conversation.recipient.clone()) else {
            return false;
        };
        let subject = format!("Re: {}", conversation.subject);
        let signer = customer.name.clone().unwrap_or_default();
        let (text, body) = letter_text(&mut self.rng, INBOUND_LINES, "Hello,", &signer);
        world.receive(
            &channel,
            &customer.handle,
            Some(&id),
            Letter {
                subject,
                body,
                text,
            },
            at,
        );
        true
    }

    /// A teammate assigns a recent open conversation to someone else.
    fn assign(&mut self, world: &mut World, at: f64) -> bool {
        let (Some(id), Some(by), Some(assignee)) = (
            self.recent(world, |c| c.state == ConversationState::Open),
            self.person(world),
            self.person(world),
        ) else {
            return false;
        };
        let unchanged = world
            .conversations
            .get(&id)
            .is_some_and(|c| c.assignee_id.as_ref() == Some(&assignee));
        if unchanged {
            return false;
        }
        world.assign(&id, Some(assignee), EventSource::Teammate(by), at);
        world.touch(&id, at);
        true
    }

    /// A teammate tags a recent open conversation with a tag it lacks.
    fn tag(&mut self, world: &mut World, at: f64) -> bool {
        let (Some(id), Some(by)) = (
            self.recent(world, |c| c.state == ConversationState::Open),
            self.person(world),
        ) else {
            return false;
        };
        let missing: Vec<String> = world
            .tags
            .keys()
            .filter(|tag| {
                world
                    .conversations
                    .get(&id)
                    .is_some_and(|c| !c.tag_ids.contains(tag))
            })
            .cloned()
            .collect();
        if missing.is_empty() {
            return false;
        }
        let tag = self.rng.pick(&missing).clone();
        world.tag(&id, tag, EventSource::Teammate(by), at);
        world.touch(&id, at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `steps` actions a second apart after the generated data; returns the new events.
    fn run(seed: u64, steps: usize) -> (World, Vec<Event>) {
        let mut world = generate(seed);
        let before = world.events.len();
        let mut activity = Activity::new(seed);
        let mut at = generate::DATA_ENDS_AT;
        for _ in 0..steps {
            at += activity.next_delay(60);
            let stamped = world.write_time(at);
            activity.step(&mut world, stamped);
        }
        let new = world.events.values().skip(before).cloned().collect();
        (world, new)
    }

    #[test]
    fn actions_leave_the_events_front_records() {
        let (world, events) = run(7, 300);
        assert!(
            events.len() >= 300,
            "every action leaves at least one event"
        );
        let count = |kind: &str| events.iter().filter(|e| e.kind == kind).count();
        assert!(count("inbound") > 100, "{}", count("inbound"));
        assert!(count("assign") > 30, "{}", count("assign"));
        assert!(count("tag") > 30, "{}", count("tag"));
        let mut previous = f64::MIN;
        for event in &events {
            assert!(event.emitted_at >= previous, "the stream grows at its end");
            previous = event.emitted_at;
            match (event.kind, &event.source, &event.target) {
                ("inbound", EventSource::Inbox(inbox), EventTarget::Message(message)) => {
                    assert_eq!(inbox, &event.inbox_id);
                    let message = &world.messages[message];
                    assert!(message.is_inbound);
                    assert_eq!(message.conversation_id, event.conversation_id);
                    assert_eq!(message.created_at, event.emitted_at);
                }
                ("assign", EventSource::Teammate(_), EventTarget::Teammate(assignee)) => {
                    assert!(world.teammates.contains_key(assignee));
                }
                ("tag", EventSource::Teammate(_), EventTarget::Tag(tag)) => {
                    assert!(world.tags.contains_key(tag));
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
        // New customers' messages start conversations and create their contacts.
        let started = events
            .iter()
            .filter(|e| world.conversations[&e.conversation_id].created_at == e.emitted_at)
            .count();
        assert!(started > 50, "{started}");
    }

    #[test]
    fn the_same_seed_gives_the_same_activity() {
        let ids = |(_, events): (World, Vec<Event>)| -> Vec<(String, &'static str, String)> {
            events
                .into_iter()
                .map(|e| (e.id, e.kind, e.conversation_id))
                .collect()
        };
        assert_eq!(ids(run(3, 50)), ids(run(3, 50)));
        assert_ne!(ids(run(3, 50)), ids(run(4, 50)));
    }

    #[test]
    fn delays_average_the_asked_rate() {
        let mut activity = Activity::new(1);
        let total: f64 = (0..6_000).map(|_| activity.next_delay(6)).sum();
        let mean = total / 6_000.0;
        assert!((9.5..10.5).contains(&mean), "{mean}");
        assert!((0..100).all(|_| (0.5..1.5).contains(&activity.next_delay(60))));
    }

    #[test]
    fn an_empty_company_is_left_alone() {
        let mut world = generate(1);
        world.channels.clear();
        world.conversations.clear();
        let before = world.events.len();
        let mut activity = Activity::new(1);
        for _ in 0..20 {
            activity.step(&mut world, generate::DATA_ENDS_AT + 1.0);
        }
        assert_eq!(world.events.len(), before);
    }
}
