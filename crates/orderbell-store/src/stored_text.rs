//! Closed sets of values that a column keeps as text (statuses, kinds): [`stored_text!`]
//! declares the enum with the text of each value, so SQL keeps the very same words.

/// Declares an enum whose values are kept as text: `as_str` gives the stored text, `FromStr`
/// reads it back (any other text is an [`crate::UnknownValue`] naming `what`), `Display` shows
/// it, and a value compares equal to its text (`status == "sent"`).
///
/// ```text
/// stored_text! {
///     /// Where a link stands.
///     pub enum LinkStatus("link status") {
///         Active = "active",
///         Dead = "dead",
///     }
/// }
/// ```
macro_rules! stored_text {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The text the database keeps.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

pub(crate) use stored_text;

#[cfg(test)]
mod tests {
    use crate::StoreError;
    use crate::alerts::AlertStatus;
    use crate::notifications::{LinkStatus, NotificationStatus, Recipient};

    #[test]
    fn stored_words_read_back_and_unknown_ones_are_errors() {
        for status in [
            NotificationStatus::Queued,
            NotificationStatus::Sending,
            NotificationStatus::Sent,
            NotificationStatus::Delivered,
            NotificationStatus::Read,
            NotificationStatus::Failed,
            NotificationStatus::Cancelled,
        ] {
            assert_eq!(status.as_str().parse(), Ok(status));
            assert_eq!(status, status.as_str());
        }
        assert_eq!("dead".parse(), Ok(LinkStatus::Dead));
        assert_eq!("answered".parse(), Ok(AlertStatus::Answered));
        assert_eq!("customer".parse(), Ok(Recipient::Customer));
        assert_eq!(Recipient::Member.to_string(), "member");

        let unknown = "bounced".parse::<NotificationStatus>().unwrap_err();
        assert_eq!(unknown.what, "notification status");
        let e = StoreError::from(unknown);
        assert!(matches!(e, StoreError::UnknownValue(_)));
        assert_eq!(
            e.to_string(),
            "stored data has an unknown notification status \"bounced\""
        );
        assert!(
            "Active".parse::<LinkStatus>().is_err(),
            "the words are exact"
        );
    }
}
