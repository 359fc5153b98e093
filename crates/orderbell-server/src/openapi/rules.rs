//! The rules the server applies to request bodies, stated in the document: every text field's
//! `maxLength` and character `pattern` ([`ValidationErrors::text`]), numbers' ranges, lists'
//! sizes, and the shapes of e-mail addresses, phone numbers, ids, time zones and the rest. Each
//! rule is built from the constant or function the check itself uses, so the two cannot drift
//! apart; `tests/it/api.rs` checks that no request string is left without a stated shape.
//!
//! [`ValidationErrors::text`]: orderbell_core::ValidationErrors::text

use orderbell_core::alerts::{PAUSE_AFTER_MISSED, SECONDS};
use orderbell_core::menu::{DESCRIPTION_MAX, GROUP_CHOICES_MAX, MAX_PRICE, NAME_MAX, POSITION_MAX};
use orderbell_core::order::{ETA_MINUTES, REASON_MAX_CHARS};
use orderbell_core::pricing::{
    ADDRESS_MAX, CUSTOMER_NAME_MAX, LINE_NAME_MAX, MAX_LINES, MAX_OPTIONS_PER_LINE, MAX_QUANTITY,
    NOTE_MAX, TABLE_MAX,
};
use orderbell_core::shop::{OrderingOptions, ReceiptText, SHOP_NAME_MAX};
use orderbell_core::text::{
    EMAIL_MAX_CHARS, LANGUAGE_TAG_MAX, LANGUAGE_TAG_PATTERN, LOCALES, SLUG_PATTERN, email_pattern,
    phone_pattern, time_zone_names,
};
use orderbell_core::user::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USER_NAME_MAX};
use orderbell_core::validation::text_pattern;
use orderbell_core::{Currency, order::OrderStatus};
use orderbell_store::Scope;
use orderbell_store::notifications::{Channel, MemberSettings};
use serde_json::{Map, Value, json};

use crate::api::passkeys::{
    ATTESTATION_MAX, AUTH_DATA_MAX, B64URL_PATTERN, CHALLENGE_PATTERN, CLIENT_DATA_MAX, ID_MAX,
    PASSKEY_NAME_MAX, SIGNATURE_MAX, TRANSPORT_PATTERN, TRANSPORTS_MAX, USER_HANDLE_MAX,
};
use crate::api::shops::API_KEY_NAME_MAX;
use crate::notifications::api::{AUTH_PATTERN, ENDPOINT_MAX, FCM_TOKEN_PATTERN, P256DH_PATTERN};
use crate::printers::api::{COPIES, PRINTER_NAME_MAX};

/// An id (`CategoryId::parse` and the others): 32 lower-case hex digits.
const ID_PATTERN: &str = "^[0-9a-f]{32}$";

/// What one property must be.
enum Rule {
    /// A text field (`ValidationErrors::text`): `required` ones must not be blank.
    Text {
        max: usize,
        required: bool,
    },
    /// `ReceiptText`: a text field of few lines.
    ReceiptLines,
    Int(i64, i64),
    Pattern(String, Option<usize>),
    Enum(Vec<String>),
    /// A secret: any characters, `format: password`, with these lengths.
    Password(Option<(usize, usize)>),
    /// A list: sizes, unique, and what each item is.
    List {
        min: Option<usize>,
        max: Option<usize>,
        unique: bool,
        items: Option<Box<Rule>>,
    },
    /// A value the server cannot do without, even where its type has `null` (it says why).
    NotNull,
    /// A schema of its own.
    Schema(Value),
    /// At most this many characters; the server judges the rest (the push endpoint).
    MaxLength(usize),
}

fn text(max: usize, required: bool) -> Rule {
    Rule::Text { max, required }
}

fn ids(max: Option<usize>, unique: bool) -> Rule {
    Rule::List {
        min: None,
        max,
        unique,
        items: Some(Box::new(Rule::Pattern(ID_PATTERN.into(), None))),
    }
}

fn int(range: std::ops::RangeInclusive<u32>) -> Rule {
    Rule::Int(i64::from(*range.start()), i64::from(*range.end()))
}

fn email(optional: bool) -> Rule {
    Rule::Pattern(email_pattern(optional), Some(EMAIL_MAX_CHARS))
}

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

/// Every rule, by schema and property.
fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    let seconds = || int(SECONDS);
    let price = || Rule::Int(0, MAX_PRICE);
    let position = || Rule::Int(0, POSITION_MAX);
    let menu_name = || text(NAME_MAX, true);
    let phone = || Rule::Pattern(phone_pattern(), None);
    let time_zone = || Rule::Enum(time_zone_names().to_vec());
    let locale = || Rule::Enum(names(LOCALES));
    let language = || Rule::Pattern(LANGUAGE_TAG_PATTERN.into(), Some(LANGUAGE_TAG_MAX));
    let channels = Value::Object(
        MemberSettings::EVENTS
            .iter()
            .map(|e| {
                (
                    e.as_str().to_owned(),
                    json!({"type": "array", "items": {"type": "string", "enum":
                        names(Channel::ALL.iter().chain(&[Channel::Voice]).map(|c| c.as_str()))}}),
                )
            })
            .collect::<Map<_, _>>(),
    );
    let statuses = names(OrderStatus::ALL.iter().map(|s| s.as_str()));
    let challenge = || Rule::Pattern(CHALLENGE_PATTERN.into(), None);
    let b64url = |max: usize| Rule::Pattern(B64URL_PATTERN.into(), Some(max));
    let public_key = || Rule::Enum(vec!["public-key".into()]);
    vec![
        ("SignupRequest", "email", email(false)),
        ("SignupRequest", "name", text(USER_NAME_MAX, true)),
        (
            "SignupRequest",
            "password",
            Rule::Password(Some((PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS))),
        ),
        ("LoginRequest", "email", email(false)),
        ("LoginRequest", "password", Rule::Password(None)),
        ("LoginRequest", "totp", Rule::Password(None)),
        ("LoginRequest", "recovery_code", Rule::Password(None)),
        ("TotpCode", "code", Rule::Pattern("^[0-9]{6}$".into(), None)),
        ("NewPasskeyRequest", "challenge_id", challenge()),
        ("NewPasskeyRequest", "name", text(PASSKEY_NAME_MAX, false)),
        ("PasskeyPatch", "name", text(PASSKEY_NAME_MAX, true)),
        ("PasskeySignInRequest", "challenge_id", challenge()),
        ("RegistrationCredential", "id", b64url(ID_MAX)),
        ("RegistrationCredential", "rawId", b64url(ID_MAX)),
        ("RegistrationCredential", "type", public_key()),
        ("AssertionCredential", "id", b64url(ID_MAX)),
        ("AssertionCredential", "rawId", b64url(ID_MAX)),
        ("AssertionCredential", "type", public_key()),
        (
            "AttestationResponse",
            "clientDataJSON",
            b64url(CLIENT_DATA_MAX),
        ),
        (
            "AttestationResponse",
            "attestationObject",
            b64url(ATTESTATION_MAX),
        ),
        (
            "AttestationResponse",
            "transports",
            Rule::List {
                min: None,
                max: Some(TRANSPORTS_MAX),
                unique: false,
                items: Some(Box::new(Rule::Pattern(TRANSPORT_PATTERN.into(), None))),
            },
        ),
        (
            "AssertionResponse",
            "clientDataJSON",
            b64url(CLIENT_DATA_MAX),
        ),
        (
            "AssertionResponse",
            "authenticatorData",
            b64url(AUTH_DATA_MAX),
        ),
        ("AssertionResponse", "signature", b64url(SIGNATURE_MAX)),
        ("AssertionResponse", "userHandle", b64url(USER_HANDLE_MAX)),
        ("PasswordChange", "current_password", Rule::Password(None)),
        (
            "PasswordChange",
            "new_password",
            Rule::Password(Some((PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS))),
        ),
        ("ResetRequest", "email", email(false)),
        (
            "NewPassword",
            "password",
            Rule::Password(Some((PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS))),
        ),
        ("MePatch", "phone", phone()),
        ("MemberRequest", "email", email(false)),
        ("InvitationRequest", "email", email(true)),
        (
            "NewShopRequest",
            "slug",
            Rule::Pattern(SLUG_PATTERN.into(), None),
        ),
        ("NewShopRequest", "name", text(SHOP_NAME_MAX, true)),
        (
            "NewShopRequest",
            "currency",
            Rule::Enum(names(Currency::all().map(|c| c.code()))),
        ),
        ("NewShopRequest", "time_zone", time_zone()),
        ("NewShopRequest", "locale", locale()),
        ("NewShopRequest", "phone", phone()),
        ("ShopPatchRequest", "name", text(SHOP_NAME_MAX, true)),
        ("ShopPatchRequest", "time_zone", time_zone()),
        ("ShopPatchRequest", "locale", locale()),
        ("ShopPatchRequest", "phone", phone()),
        ("ShopPatchRequest", "default_eta_minutes", int(ETA_MINUTES)),
        ("AlertPolicyPatch", "repeat_after_seconds", seconds()),
        ("AlertPolicyPatch", "repeat_every_seconds", seconds()),
        ("AlertPolicyPatch", "call_after_seconds", seconds()),
        ("AlertPolicyPatch", "miss_after_seconds", seconds()),
        ("AlertPolicyPatch", "unheard_after_seconds", seconds()),
        (
            "AlertPolicyPatch",
            "pause_after_missed",
            int(PAUSE_AFTER_MISSED),
        ),
        (
            "OrderingOptions",
            "min_order",
            Rule::Int(0, OrderingOptions::MAX_MIN_ORDER),
        ),
        (
            "OrderingOptions",
            "delivery_fee",
            Rule::Int(0, OrderingOptions::MAX_MIN_ORDER),
        ),
        (
            "OrderingOptions",
            "delivery_note",
            text(OrderingOptions::MAX_NOTE_CHARS, false),
        ),
        ("ReceiptText", "header", Rule::ReceiptLines),
        ("ReceiptText", "footer", Rule::ReceiptLines),
        ("ApiKeyRequest", "name", text(API_KEY_NAME_MAX, true)),
        (
            "ApiKeyRequest",
            "scopes",
            Rule::List {
                min: Some(1),
                max: None,
                unique: false,
                items: Some(Box::new(Rule::Enum(names(
                    Scope::ALL.iter().map(|s| s.as_str()),
                )))),
            },
        ),
        ("CategoryInput", "name", menu_name()),
        ("CategoryInput", "position", position()),
        (
            "ItemInput",
            "category_id",
            Rule::Pattern(ID_PATTERN.into(), None),
        ),
        ("ItemInput", "name", menu_name()),
        ("ItemInput", "description", text(DESCRIPTION_MAX, false)),
        ("ItemInput", "price", price()),
        ("ItemInput", "position", position()),
        ("OptionGroupInput", "name", menu_name()),
        ("OptionGroupInput", "min", Rule::Int(0, GROUP_CHOICES_MAX)),
        ("OptionGroupInput", "max", Rule::Int(1, GROUP_CHOICES_MAX)),
        ("OptionGroupInput", "position", position()),
        ("OptionInput", "name", menu_name()),
        ("OptionInput", "price", price()),
        ("OptionInput", "position", position()),
        (
            "OrderRequest",
            "items",
            Rule::List {
                min: Some(1),
                max: Some(MAX_LINES),
                unique: false,
                items: None,
            },
        ),
        ("OrderRequest", "note", text(NOTE_MAX, false)),
        (
            "OrderLineRequest",
            "menu_item_id",
            Rule::Pattern(ID_PATTERN.into(), None),
        ),
        (
            "OrderLineRequest",
            "option_ids",
            ids(Some(MAX_OPTIONS_PER_LINE), true),
        ),
        ("OrderLineRequest", "name", text(LINE_NAME_MAX, true)),
        ("OrderLineRequest", "unit_price", price()),
        (
            "OrderLineRequest",
            "options",
            Rule::List {
                min: None,
                max: Some(MAX_OPTIONS_PER_LINE),
                unique: false,
                items: None,
            },
        ),
        ("OrderLineRequest", "quantity", Rule::Int(1, MAX_QUANTITY)),
        ("OrderLineRequest", "quantity", Rule::NotNull),
        ("FreeOptionRequest", "name", text(LINE_NAME_MAX, true)),
        ("FreeOptionRequest", "price", price()),
        ("CustomerRequest", "name", text(CUSTOMER_NAME_MAX, false)),
        ("CustomerRequest", "phone", phone()),
        ("CustomerRequest", "email", email(true)),
        ("Fulfillment", "table", text(TABLE_MAX, false)),
        ("Fulfillment", "address", text(ADDRESS_MAX, true)),
        ("AcceptRequest", "eta_minutes", int(ETA_MINUTES)),
        ("ReasonRequest", "reason", text(REASON_MAX_CHARS, false)),
        ("PrinterRequest", "name", text(PRINTER_NAME_MAX, true)),
        (
            "PrinterRequest",
            "auto_print",
            Rule::Enum(names(["on_create", "on_accept", "manual"])),
        ),
        (
            "PrinterRequest",
            "copies",
            Rule::Int(*COPIES.start(), *COPIES.end()),
        ),
        ("PrinterRequest", "category_ids", ids(None, false)),
        (
            "PrintRequest",
            "printer_id",
            Rule::Pattern(ID_PATTERN.into(), None),
        ),
        (
            "SettingsBody",
            "members",
            Rule::Schema(json!({
                "type": "object",
                "properties": channels,
                "additionalProperties": false,
            })),
        ),
        ("WebPushBody", "endpoint", Rule::MaxLength(ENDPOINT_MAX)),
        ("WebPushBody", "keys", Rule::NotNull),
        ("WebPushBody", "locale", language()),
        (
            "SubscriptionKeysSchema",
            "p256dh",
            Rule::Pattern(P256DH_PATTERN.into(), None),
        ),
        (
            "SubscriptionKeysSchema",
            "auth",
            Rule::Pattern(AUTH_PATTERN.into(), None),
        ),
        (
            "FcmBody",
            "token",
            Rule::Pattern(FCM_TOKEN_PATTERN.into(), None),
        ),
        ("FcmBody", "locale", language()),
        (
            "ListQuery",
            "status",
            Rule::Pattern(list_pattern(&statuses), None),
        ),
    ]
}

/// A comma-separated list of these words, each with spaces around it or none (empty parts are
/// skipped), as `list_orders` reads `status`.
fn list_pattern(words: &[String]) -> String {
    let space = orderbell_core::validation::char_class(orderbell_core::validation::WHITESPACE);
    let part = format!("[{space}]*(?:{})?[{space}]*", words.join("|"));
    format!("^{part}(?:,{part})*$")
}

/// Gives every request property its rule (see the module).
pub fn apply(doc: &mut Value) {
    let rules = rules();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema, property, rule) in &rules {
            if let Some(s) = schemas.get_mut(*schema) {
                if matches!(rule, Rule::NotNull) {
                    require(s, property);
                }
                for target in properties(s, property) {
                    set(target, rule);
                }
            }
        }
        // Each fulfilment type takes its own fields only (`FulfillmentWire`).
        if let Some(parts) = schemas
            .get_mut("Fulfillment")
            .and_then(|f| f.get_mut("oneOf"))
            .and_then(Value::as_array_mut)
        {
            for part in parts {
                part["additionalProperties"] = json!(false);
            }
        }
        // A guest ordering that offers nothing is refused.
        if let Some(ordering) = schemas.get_mut("OrderingOptions") {
            ordering["not"] = json!({
                "description": "at least one of pickup, dine_in and delivery is offered",
                "required": ["pickup", "dine_in", "delivery"],
                "properties": {
                    "pickup": {"const": false},
                    "dine_in": {"const": false},
                    "delivery": {"const": false},
                },
            });
        }
    }
    // Query parameters are not components.
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(ops) = item.as_object_mut() else {
                continue;
            };
            for op in ops.values_mut() {
                let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                    continue;
                };
                for p in params {
                    if p["in"] == "query" && p["name"] == "status" {
                        for (schema, property, rule) in &rules {
                            if *schema == "ListQuery" && *property == "status" {
                                set(&mut p["schema"], rule);
                            }
                        }
                    }
                    if p["in"] == "header" && p["name"] == "Idempotency-Key" {
                        p["schema"] = json!({"type": "string", "pattern": "^[!-~]{1,255}$"});
                    }
                }
            }
        }
    }
}

/// The schemas of `property` in `schema`, in its own properties and in those of its `oneOf`,
/// `anyOf` and `allOf` parts (the variants of `Fulfillment`).
fn properties<'a>(schema: &'a mut Value, property: &str) -> Vec<&'a mut Value> {
    let mut found = vec![];
    let Some(object) = schema.as_object_mut() else {
        return found;
    };
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "properties" => {
                if let Some(p) = value.get_mut(property) {
                    found.push(p);
                }
            }
            "oneOf" | "anyOf" | "allOf" => {
                if let Some(parts) = value.as_array_mut() {
                    for part in parts {
                        found.extend(properties(part, property));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Lists `property` as required where it is a property.
fn require(schema: &mut Value, property: &str) {
    if schema
        .get("properties")
        .is_some_and(|p| p.get(property).is_some())
    {
        match schema.get_mut("required").and_then(Value::as_array_mut) {
            Some(required) => {
                if !required.iter().any(|r| r == property) {
                    required.push(json!(property));
                }
            }
            None => schema["required"] = json!([property]),
        }
    }
}

fn set(target: &mut Value, rule: &Rule) {
    let Some(t) = target.as_object_mut() else {
        return;
    };
    match rule {
        Rule::Text { max, required } => {
            t.insert("maxLength".into(), json!(max));
            t.insert("pattern".into(), json!(text_pattern(*required)));
        }
        Rule::ReceiptLines => {
            t.insert("maxLength".into(), json!(ReceiptText::MAX_CHARS));
            t.insert("pattern".into(), json!(text_pattern(false)));
            t.insert(
                "allOf".into(),
                json!([{"pattern": ReceiptText::lines_pattern()}]),
            );
        }
        Rule::Int(min, max) => {
            t.insert("minimum".into(), json!(min));
            t.insert("maximum".into(), json!(max));
        }
        Rule::Pattern(pattern, max) => {
            t.insert("pattern".into(), json!(pattern));
            if let Some(max) = max {
                t.insert("maxLength".into(), json!(max));
            }
        }
        Rule::Enum(values) => {
            let nullable = t
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|ty| ty == "null"));
            let mut values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
            if nullable {
                values.push(Value::Null);
            }
            t.insert("enum".into(), Value::Array(values));
        }
        Rule::Password(lengths) => {
            t.insert("format".into(), json!("password"));
            if let Some((min, max)) = lengths {
                t.insert("minLength".into(), json!(min));
                t.insert("maxLength".into(), json!(max));
            }
        }
        Rule::List {
            min,
            max,
            unique,
            items,
        } => {
            if let Some(min) = min {
                t.insert("minItems".into(), json!(min));
            }
            if let Some(max) = max {
                t.insert("maxItems".into(), json!(max));
            }
            if *unique {
                t.insert("uniqueItems".into(), json!(true));
            }
            if let (Some(rule), Some(item)) = (items, t.get_mut("items")) {
                set(item, rule);
            }
        }
        Rule::NotNull => {
            if let Some(types) = t.get_mut("type").and_then(Value::as_array_mut) {
                types.retain(|ty| ty != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    t.insert("type".into(), only);
                }
            }
            if let Some(one_of) = t.get_mut("oneOf").and_then(Value::as_array_mut) {
                one_of.retain(|part| part.get("type").is_none_or(|ty| ty != "null"));
                if one_of.len() == 1 {
                    let only = one_of.remove(0);
                    t.remove("oneOf");
                    if let Some(o) = only.as_object() {
                        for (k, v) in o {
                            t.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
        Rule::MaxLength(max) => {
            t.insert("maxLength".into(), json!(max));
        }
        Rule::Schema(schema) => {
            if let Some(o) = schema.as_object() {
                let description = t.get("description").cloned();
                *t = o.clone();
                if let Some(d) = description {
                    t.insert("description".into(), d);
                }
            }
        }
    }
}
