//! Which events reach a shop's members on which channels ([`MemberSettings`]), kept per shop as
//! JSON.

use super::{Channel, NotifyEvent};

/// Which events reach members on which channels (per shop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSettings {
    pub new_order: Vec<Channel>,
    pub accepted: Vec<Channel>,
    pub ready: Vec<Channel>,
    pub rejected: Vec<Channel>,
    pub cancelled: Vec<Channel>,
    pub completed: Vec<Channel>,
    pub missed: Vec<Channel>,
}

impl Default for MemberSettings {
    /// New orders on every channel; cancellations and missed orders too; nothing else (members
    /// make those changes themselves).
    fn default() -> Self {
        let all = Channel::ALL.to_vec();
        MemberSettings {
            new_order: all.clone(),
            accepted: vec![],
            ready: vec![],
            rejected: vec![],
            cancelled: all.clone(),
            completed: vec![],
            missed: all,
        }
    }
}

impl MemberSettings {
    pub fn channels(&self, event: NotifyEvent) -> &[Channel] {
        match event {
            NotifyEvent::NewOrder => &self.new_order,
            NotifyEvent::Accepted => &self.accepted,
            NotifyEvent::Ready => &self.ready,
            NotifyEvent::Rejected => &self.rejected,
            NotifyEvent::Cancelled => &self.cancelled,
            NotifyEvent::Completed => &self.completed,
            NotifyEvent::Missed => &self.missed,
            NotifyEvent::StatusEdit
            | NotifyEvent::Call
            | NotifyEvent::Paused
            | NotifyEvent::Unheard
            | NotifyEvent::VerifyEmail
            | NotifyEvent::PasswordReset
            | NotifyEvent::AccountExists
            | NotifyEvent::Invitation
            | NotifyEvent::NewSignIn => &[],
            // Repeats go where new orders go.
            NotifyEvent::Reminder => &self.new_order,
        }
    }

    pub fn wants(&self, event: NotifyEvent, channel: Channel) -> bool {
        self.channels(event).contains(&channel)
    }

    fn channels_mut(&mut self, event: NotifyEvent) -> Option<&mut Vec<Channel>> {
        Some(match event {
            NotifyEvent::NewOrder => &mut self.new_order,
            NotifyEvent::Accepted => &mut self.accepted,
            NotifyEvent::Ready => &mut self.ready,
            NotifyEvent::Rejected => &mut self.rejected,
            NotifyEvent::Cancelled => &mut self.cancelled,
            NotifyEvent::Completed => &mut self.completed,
            NotifyEvent::Missed => &mut self.missed,
            NotifyEvent::StatusEdit
            | NotifyEvent::Reminder
            | NotifyEvent::Call
            | NotifyEvent::Paused
            | NotifyEvent::Unheard
            | NotifyEvent::VerifyEmail
            | NotifyEvent::PasswordReset
            | NotifyEvent::AccountExists
            | NotifyEvent::Invitation
            | NotifyEvent::NewSignIn => return None,
        })
    }

    /// `{"new_order":["telegram",…],"accepted":[],…}`: every event, channels sorted.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for event in NotifyEvent::MEMBER_CHOICES {
            let mut channels = self.channels(event).to_vec();
            channels.sort();
            channels.dedup();
            map.insert(
                event.as_str().to_owned(),
                channels.iter().map(|c| c.as_str()).collect(),
            );
        }
        serde_json::Value::Object(map)
    }

    /// The events members choose channels for (the keys of the JSON form).
    pub const EVENTS: [NotifyEvent; 7] = [
        NotifyEvent::NewOrder,
        NotifyEvent::Accepted,
        NotifyEvent::Ready,
        NotifyEvent::Rejected,
        NotifyEvent::Cancelled,
        NotifyEvent::Completed,
        NotifyEvent::Missed,
    ];

    /// Reads [`MemberSettings::to_json`]'s shape; events left out keep their defaults. Unknown
    /// events or channels are an error naming them.
    pub fn from_json(value: &serde_json::Value) -> Result<MemberSettings, String> {
        let map = value
            .as_object()
            .ok_or_else(|| "settings must be an object of event: [channels]".to_owned())?;
        let mut settings = MemberSettings::default();
        for (key, list) in map {
            let event: NotifyEvent = key.parse()?;
            let slot = settings
                .channels_mut(event)
                .ok_or_else(|| format!("unknown notification event {key:?}"))?;
            let items = list
                .as_array()
                .ok_or_else(|| format!("{key} must be a list of channels"))?;
            let mut channels = Vec::with_capacity(items.len());
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| format!("{key} must be a list of channel names"))?;
                channels.push(name.parse::<Channel>()?);
            }
            channels.sort();
            channels.dedup();
            *slot = channels;
        }
        Ok(settings)
    }
}
