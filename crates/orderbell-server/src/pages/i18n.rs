//! Page texts in English and Korean, and which one a request gets: the `orderbell_lang` cookie
//! (set by the switch in every page's footer), else the first supported `Accept-Language`
//! entry, else the shop's locale, else English.
//!
//! Texts are fields of one struct, so a text missing in one language is a compile error.

use axum::http::{HeaderMap, header};
use orderbell_core::order::OrderStatus;

use crate::http::auth::cookie;

pub const LANG_COOKIE: &str = "orderbell_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }

    /// The language for a request; `fallback` is the shop's locale where there is a shop.
    pub fn negotiate(headers: &HeaderMap, fallback: Option<&str>) -> Lang {
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        if let Some(lang) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
        {
            return lang;
        }
        fallback.and_then(Lang::parse).unwrap_or(Lang::En)
    }
}

/// The supported language with the highest quality in an `Accept-Language` header.
fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Thousandths are enough to order the entries; the cast cannot overflow for 0..=1.
        let q = (q.clamp(0.0, 1.0) * 1000.0).round() as u16;
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

macro_rules! texts {
    ($($name:ident: $en:expr, $ko:expr;)*) => {
        /// Every text of the pages, in one language.
        #[derive(Debug)]
        pub struct Texts {
            $(pub $name: &'static str,)*
        }

        pub static EN: Texts = Texts { $($name: $en,)* };
        pub static KO: Texts = Texts { $($name: $ko,)* };
    };
}

texts! {
    // Shared chrome.
    app_name: "Orderbell", "Orderbell";
    skip_to_content: "Skip to content", "본문으로 건너뛰기";
    language: "Language", "언어";
    sign_in: "Sign in", "로그인";
    sign_up: "Create an account", "계정 만들기";
    sign_out: "Sign out", "로그아웃";
    account: "Account", "계정";
    dashboard: "Dashboard", "대시보드";
    back: "Back", "뒤로";
    save: "Save", "저장";
    delete: "Delete", "삭제";
    add: "Add", "추가";
    close: "Close", "닫기";
    optional: "optional", "선택";
    powered_by: "Orders by Orderbell", "Orderbell 주문 시스템";
    // Landing.
    landing_title: "Order intake and notifications for small shops", "작은 가게를 위한 주문 접수·알림";
    landing_lead: "Guests order on your shop's page; your dashboard rings until someone answers, your printer prints, and guests follow their order live.", "손님은 가게 페이지에서 주문하고, 대시보드는 누군가 확인할 때까지 울리며, 프린터가 주문서를 출력하고, 손님은 주문 상태를 실시간으로 확인합니다.";
    landing_demo: "Try the demo shop", "데모 가게 둘러보기";
    landing_members: "For shop members", "가게 직원용";
    // Errors.
    error_title: "Something is not right", "문제가 생겼습니다";
    error_not_found: "This page does not exist, or you may not see it.", "페이지가 없거나 볼 수 있는 권한이 없습니다.";
    error_forbidden: "You may not do this here.", "여기서는 할 수 없는 작업입니다.";
    error_csrf: "This form is out of date or came from another site. Go back, reload the page and try again.", "양식이 오래되었거나 다른 사이트에서 왔습니다. 돌아가서 새로고침한 뒤 다시 시도하세요.";
    error_rate_limited: "Too many tries in a short time. Wait a moment and try again.", "짧은 시간에 너무 많이 시도했습니다. 잠시 후 다시 시도하세요.";
    error_unavailable: "The server cannot reach its database right now. Try again in a moment.", "서버가 지금 데이터베이스에 접근할 수 없습니다. 잠시 후 다시 시도하세요.";
    error_internal: "Something went wrong on our side. Try again.", "서버에서 문제가 발생했습니다. 다시 시도하세요.";
    error_bad_request: "The request was not understood.", "요청을 이해할 수 없습니다.";
    error_sign_in: "Sign in to see this page.", "이 페이지를 보려면 로그인하세요.";
    home: "Home", "홈";
    // Offline.
    offline_title: "You are offline", "오프라인 상태입니다";
    offline_text: "This device has no connection to the server. The page reloads by itself when the connection is back.", "서버에 연결되어 있지 않습니다. 연결이 돌아오면 페이지가 다시 열립니다.";
    retry: "Try again", "다시 시도";
    // Guest shop page.
    menu: "Menu", "메뉴";
    sold_out: "Sold out", "품절";
    quantity: "Quantity", "수량";
    add_to_cart: "Add to order", "담기";
    choose_exactly: "Choose {n}", "{n}개 선택";
    choose_up_to: "Choose up to {n}", "최대 {n}개 선택";
    choose_between: "Choose {min} to {max}", "{min}~{max}개 선택";
    not_accepting: "This shop is not taking online orders right now.", "지금은 온라인 주문을 받지 않습니다.";
    call_shop: "Call the shop", "가게에 전화하기";
    cart: "Your order", "주문 내역";
    cart_empty: "Nothing here yet. Add something from the menu.", "아직 담은 메뉴가 없습니다. 메뉴에서 골라 주세요.";
    remove: "Remove", "빼기";
    total: "Total", "합계";
    view_cart: "View order", "주문 보기";
    added: "Added to your order", "주문에 담았습니다";
    checkout: "Checkout", "주문하기";
    your_name: "Your name", "이름";
    your_phone: "Phone", "전화번호";
    phone_hint: "So the shop can reach you, e.g. 010-1234-5678 or +821012345678", "가게에서 연락할 수 있도록 (예: 010-1234-5678 또는 +821012345678)";
    how: "How do you want it?", "받는 방법";
    pickup: "Pickup", "포장 (픽업)";
    dine_in: "Dine in", "매장 식사";
    delivery: "Delivery", "배달";
    table: "Table", "테이블";
    table_hint: "For dine-in", "매장 식사일 때";
    address: "Delivery address", "배달 주소";
    address_hint: "For delivery", "배달일 때";
    note: "Note for the shop", "요청 사항";
    place_order: "Place order", "주문하기";
    fix_errors: "Please check the highlighted fields.", "표시된 항목을 확인해 주세요.";
    cart_full: "Your order has as many lines as it can hold.", "더 이상 담을 수 없습니다.";
    // Field errors.
    err_required: "This is required.", "필수 항목입니다.";
    err_too_long: "This is too long.", "너무 깁니다.";
    err_phone: "Enter a phone number, e.g. 010-1234-5678 or +821012345678.", "전화번호를 입력하세요 (예: 010-1234-5678 또는 +821012345678).";
    err_invalid: "This is not valid.", "올바르지 않습니다.";
    err_sold_out: "Sold out, sorry.", "죄송합니다, 품절입니다.";
    err_too_few: "Choose more options.", "옵션을 더 선택하세요.";
    err_too_many: "Choose fewer options.", "옵션을 줄여 주세요.";
    err_out_of_range: "This value is out of range.", "허용 범위를 벗어났습니다.";
    err_unknown: "This is no longer on the menu. Remove it and add it again.", "메뉴에 더 이상 없습니다. 빼고 다시 담아 주세요.";
    // Tracking.
    order_number: "Order", "주문";
    status_pending: "Waiting for the shop", "가게 확인 대기 중";
    status_accepted: "Being prepared", "준비 중";
    status_ready: "Ready", "준비 완료";
    status_completed: "Completed", "완료";
    status_rejected: "Rejected", "거절됨";
    status_cancelled: "Cancelled", "취소됨";
    status_missed: "Not answered", "응답 없음";
    step_received: "Received", "접수";
    step_accepted: "Accepted", "수락";
    step_ready: "Ready", "준비 완료";
    step_done: "Done", "완료";
    ready_about: "Ready about {time}", "{time}쯤 준비됩니다";
    ready_since: "Ready since {time}", "{time}에 준비되었습니다";
    pending_hint: "The shop has your order and will answer shortly.", "가게에 주문이 전달되었습니다. 곧 확인합니다.";
    ready_hint_pickup: "Your order is ready to pick up.", "주문하신 메뉴가 준비되었습니다. 찾아가세요.";
    ready_hint: "Your order is ready.", "주문하신 메뉴가 준비되었습니다.";
    completed_hint: "Thank you!", "감사합니다!";
    reason: "Reason", "사유";
    live_updates: "This page updates by itself.", "이 페이지는 자동으로 업데이트됩니다.";
    live_lost: "Connection lost. Reconnecting…", "연결이 끊겼습니다. 다시 연결하는 중…";
    contact_shop: "Contact the shop", "가게 연락처";
    get_updates: "Get updates", "알림 받기";
    ordered_at: "Ordered at", "주문 시각";
    keep_link: "Keep this page's address to come back to your order.", "이 페이지 주소를 저장하면 주문을 다시 볼 수 있습니다.";
    // Accounts.
    email: "E-mail", "이메일";
    password: "Password", "비밀번호";
    name: "Name", "이름";
    password_hint: "At least 10 characters.", "10자 이상.";
    login_failed: "Wrong e-mail or password.", "이메일 또는 비밀번호가 맞지 않습니다.";
    no_account: "No account yet?", "계정이 없나요?";
    have_account: "Already have an account?", "이미 계정이 있나요?";
    signup_closed: "Sign-up is closed on this server; ask its operator for an account.", "이 서버는 가입을 받지 않습니다. 운영자에게 계정을 요청하세요.";
    email_taken: "This e-mail cannot be used for a new account. If it is yours, sign in instead.", "이 이메일로는 새 계정을 만들 수 없습니다. 본인 이메일이면 로그인하세요.";
    change_password: "Change password", "비밀번호 변경";
    current_password: "Current password", "현재 비밀번호";
    new_password: "New password", "새 비밀번호";
    password_changed: "Your password is changed. Other devices were signed out.", "비밀번호를 바꿨습니다. 다른 기기는 로그아웃되었습니다.";
    wrong_current_password: "The current password is wrong.", "현재 비밀번호가 맞지 않습니다.";
    signed_in_as: "Signed in as", "로그인 계정";
    // Dashboard.
    your_shops: "Your shops", "내 가게";
    no_shops: "You are not a member of any shop yet. Create one, or ask an owner to add you.", "아직 속한 가게가 없습니다. 가게를 만들거나 가게 주인에게 추가를 요청하세요.";
    create_shop: "Create a shop", "가게 만들기";
    slug: "Address name (a-z, 0-9, -)", "주소 이름 (a-z, 0-9, -)";
    currency: "Currency", "통화";
    time_zone: "Time zone", "시간대";
    shop_page: "Guest page", "손님 페이지";
    board: "Orders", "주문";
    col_new: "New", "신규";
    col_in_progress: "In progress", "준비 중";
    col_ready: "Ready", "준비 완료";
    col_recent: "Recently closed", "최근 종료";
    no_orders: "No orders here.", "주문이 없습니다.";
    acknowledge: "Seen — stop the alarm", "확인 — 알람 끄기";
    accept_in: "Accept — ready in (minutes)", "수락 — 준비 시간(분)";
    custom_minutes: "Other (minutes)", "직접 입력(분)";
    accept: "Accept", "수락";
    reject: "Reject", "거절";
    reject_reason: "Reason for the guest", "손님에게 보낼 사유";
    reason_busy: "Too busy right now", "지금 너무 바쁩니다";
    reason_sold_out: "An item is sold out", "품절된 메뉴가 있습니다";
    reason_closing: "We are closing", "곧 마감합니다";
    reason_no_delivery: "We cannot deliver there", "배달할 수 없는 지역입니다";
    reason_guest_asked: "The guest asked to cancel", "손님 요청으로 취소";
    mark_ready: "Ready", "준비 완료";
    complete: "Complete", "완료 처리";
    cancel: "Cancel order", "주문 취소";
    print: "Print", "출력";
    reprint: "Reprint", "다시 출력";
    details: "Details", "자세히";
    history: "History", "이력";
    customer: "Customer", "손님";
    new_order_alert: "New order!", "새 주문!";
    enable_sound: "Tap to enable the order sound", "눌러서 주문 알림음 켜기";
    sound_on: "Sound on", "알림음 켜짐";
    offline_banner: "Live updates are down — reconnecting. New orders may not show until the connection is back.", "실시간 연결이 끊겼습니다 — 다시 연결하는 중. 연결될 때까지 새 주문이 보이지 않을 수 있습니다.";
    printers_status: "Printers", "프린터";
    notification_log: "Notifications", "알림 기록";
    not_acknowledged: "Not seen yet", "아직 확인 안 함";
    seen_at: "Seen", "확인";
    action_created: "Placed", "주문 접수";
    action_acknowledge: "Seen", "확인";
    action_accept: "Accepted", "수락";
    action_reject: "Rejected", "거절";
    action_ready: "Ready", "준비 완료";
    action_complete: "Completed", "완료";
    action_cancel: "Cancelled", "취소";
    action_miss: "Missed", "놓침";
    by_guest: "guest", "손님";
    by_system: "system", "시스템";
    minutes_short: "min", "분";
    done: "Done", "완료";
    invalid_transition: "That is no longer possible: the order has changed meanwhile.", "이미 주문 상태가 바뀌어 할 수 없습니다.";
    // Settings.
    settings: "Settings", "설정";
    profile: "Shop profile", "가게 정보";
    shop_name: "Shop name", "가게 이름";
    shop_phone: "Shop phone", "가게 전화번호";
    page_language: "Default language", "기본 언어";
    accepting_orders: "Taking online orders", "온라인 주문 받기";
    accepting_on: "Online ordering is on.", "온라인 주문을 받고 있습니다.";
    accepting_off: "Online ordering is paused.", "온라인 주문이 멈춰 있습니다.";
    pause_orders: "Pause online orders", "온라인 주문 멈추기";
    resume_orders: "Take online orders", "온라인 주문 받기";
    saved: "Saved.", "저장했습니다.";
    owners_only: "Only an owner of the shop can change this.", "가게 주인만 바꿀 수 있습니다.";
    menu_editor: "Menu", "메뉴";
    categories: "Categories", "분류";
    category: "Category", "분류";
    new_category: "New category", "새 분류";
    new_item: "New item", "새 메뉴";
    item_name: "Item name", "메뉴 이름";
    description: "Description", "설명";
    price: "Price", "가격";
    mark_sold_out: "Mark sold out", "품절 표시";
    mark_available: "Mark available", "판매 재개";
    option_groups: "Options", "옵션";
    new_option_group: "New option group", "새 옵션 그룹";
    group_name: "Group name", "그룹 이름";
    min_choices: "At least", "최소";
    max_choices: "At most", "최대";
    new_option: "New option", "새 옵션";
    option_name: "Option name", "옵션 이름";
    extra_price: "Extra price", "추가 가격";
    rename: "Rename", "이름 바꾸기";
    edit: "Edit", "수정";
    empty_category_first: "Remove the category's items first.", "분류 안의 메뉴를 먼저 지우세요.";
    members: "Members", "직원";
    role: "Role", "역할";
    role_owner: "Owner", "주인";
    role_staff: "Staff", "직원";
    add_member: "Add a member by e-mail", "이메일로 직원 추가";
    member_unknown: "No account uses this e-mail; ask them to sign up first.", "이 이메일의 계정이 없습니다. 먼저 가입해 달라고 하세요.";
    last_owner: "A shop needs at least one owner.", "가게에는 주인이 한 명 이상 있어야 합니다.";
    api_keys: "API keys", "API 키";
    api_keys_lead: "Keys let your own website or till send orders to Orderbell.", "API 키로 가게 웹사이트나 POS에서 Orderbell로 주문을 보낼 수 있습니다.";
    new_api_key: "New API key", "새 API 키";
    key_name: "Key name", "키 이름";
    scopes: "Permissions", "권한";
    scope_orders_write: "Send and handle orders", "주문 보내기·처리";
    scope_orders_read: "Read orders", "주문 읽기";
    scope_manage: "Edit menu and shop profile", "메뉴·가게 정보 수정";
    key_shown_once: "Copy this key now. It is shown only once.", "지금 키를 복사하세요. 한 번만 보여 줍니다.";
    revoke: "Revoke", "폐기";
    revoked: "Revoked", "폐기됨";
    last_used: "Last used", "마지막 사용";
    never: "never", "없음";
    created: "Created", "생성";
    printers: "Printers", "프린터";
    printers_lead: "Receipt printers connect through the orderbell-printer program on a computer beside the printer. Each printer prints every new order once (or when you accept it, or only on request).", "영수증 프린터는 프린터 옆 컴퓨터에서 실행하는 orderbell-printer 프로그램으로 연결합니다. 프린터마다 새 주문을 한 번씩 인쇄합니다(또는 수락할 때, 또는 요청할 때만).";
    printer_name: "Name", "이름";
    printer_connection: "Connection", "연결";
    printer_state: "Printer", "프린터 상태";
    printer_mode: "Prints", "인쇄 시점";
    printer_copies: "Copies", "매수";
    printer_online: "online", "온라인";
    printer_offline: "offline", "오프라인";
    printer_last_seen: "last seen", "마지막 연결";
    printer_never_connected: "never connected", "연결된 적 없음";
    mode_on_create: "every new order", "새 주문마다";
    mode_on_accept: "when accepted", "수락할 때";
    mode_manual: "on request only", "요청할 때만";
    new_printer: "Add a printer", "프린터 추가";
    printer_token_once: "Copy this device token now. It is shown only once.", "지금 장치 토큰을 복사하세요. 한 번만 보여 줍니다.";
    printer_pairing: "On the computer beside the printer, run:", "프린터 옆 컴퓨터에서 다음을 실행하세요:";
    printer_pairing_more: "Use --printer usb:/dev/usb/lp0, cups:QUEUE or file:PATH for other connections, and orderbell-printer test-page to choose --text-mode.", "다른 연결은 --printer usb:/dev/usb/lp0, cups:QUEUE, file:PATH를 쓰고, orderbell-printer test-page로 --text-mode를 고르세요.";
    no_printers: "No printers yet.", "아직 프린터가 없습니다.";
    printer_problem: "A printer needs attention", "프린터를 확인하세요";
    channels: "Channels", "알림 채널";
    channels_lead: "Get new orders on Telegram or WhatsApp (scan the QR code with your phone) and as push notifications on this device. The shop's notification settings decide which orders go out.", "새 주문을 텔레그램이나 왓츠앱(휴대폰으로 QR 코드 스캔), 그리고 이 기기의 푸시 알림으로 받으세요. 어떤 주문을 보낼지는 매장의 알림 설정에 따릅니다.";
    connect_channel: "Connect", "연결하기";
    no_channels_configured: "No notification channel is set up on this server yet (see docs/notifications.md).", "이 서버에는 아직 설정된 알림 채널이 없습니다(docs/notifications.md 참고).";
    channel_telegram: "Telegram", "텔레그램";
    channel_whatsapp: "WhatsApp", "왓츠앱";
    channel_webpush: "Browser notifications", "브라우저 알림";
    channel_fcm: "App (FCM)", "앱(FCM)";
    telegram_member_hint: "Get each new order in Telegram with Accept and Reject buttons.", "새 주문을 텔레그램에서 수락·거절 버튼과 함께 받습니다.";
    whatsapp_member_hint: "Get each new order in WhatsApp; answer “accept 1042 20”.", "새 주문을 왓츠앱으로 받습니다. “accept 1042 20”처럼 답하세요.";
    push_member_hint: "Get a notification on this device for each new order, even when the dashboard is closed.", "대시보드를 닫아 두어도 새 주문마다 이 기기에서 알림을 받습니다.";
    connect_telegram: "Connect Telegram", "텔레그램 연결";
    connect_whatsapp: "Connect WhatsApp", "왓츠앱 연결";
    push_enable_device: "Enable push on this device", "이 기기에서 푸시 알림 켜기";
    telegram_link_ready: "Scan this code with your phone, or open the link, then press Start in Telegram.", "휴대폰으로 이 코드를 스캔하거나 링크를 연 다음 텔레그램에서 시작을 누르세요.";
    whatsapp_link_ready: "Scan this code with your phone, or open the link, then send the prefilled message in WhatsApp.", "휴대폰으로 이 코드를 스캔하거나 링크를 연 다음 왓츠앱에서 미리 채워진 메시지를 보내세요.";
    scan_to_connect: "QR code of the link", "링크 QR 코드";
    or_send: "Or send this message:", "또는 이 메시지를 보내세요:";
    link_expires: "The link works once, until", "링크는 한 번만, 다음 시각까지 쓸 수 있습니다:";
    link_unavailable: "That channel is not available right now. Try again later.", "지금은 그 채널을 쓸 수 없습니다. 잠시 후 다시 시도하세요.";
    linked_channels: "Your linked channels", "연결된 내 채널";
    no_linked_channels: "Nothing linked yet.", "아직 연결된 채널이 없습니다.";
    channel: "Channel", "채널";
    destination: "To", "받는 곳";
    for_shop: "Shop", "매장";
    every_shop: "all your shops", "내 모든 매장";
    link_active: "active", "사용 중";
    link_dead: "unreachable", "연결 끊김";
    link_unlinked: "unlinked", "해제됨";
    optins_lead: "Get a message when your order is accepted and when it is ready.", "주문이 수락되고 준비되면 메시지를 받으세요.";
    scan_telegram: "QR code: follow this order in Telegram", "QR 코드: 텔레그램에서 이 주문 알림 받기";
    scan_whatsapp: "QR code: follow this order in WhatsApp", "QR 코드: 왓츠앱에서 이 주문 알림 받기";
    open_telegram: "Open in Telegram", "텔레그램에서 열기";
    open_whatsapp: "Open in WhatsApp", "왓츠앱에서 열기";
    telegram_customer_hint: "Press Start in Telegram; /stop ends the messages.", "텔레그램에서 시작을 누르세요. /stop으로 그만 받을 수 있습니다.";
    whatsapp_customer_hint: "Send the prefilled message; “stop” ends the messages.", "미리 채워진 메시지를 보내세요. “stop”으로 그만 받을 수 있습니다.";
    push_enable_order: "Notify me in this browser", "이 브라우저로 알림 받기";
    push_on: "Notifications are on for this browser.", "이 브라우저에서 알림이 켜졌습니다.";
    push_denied: "Notifications are blocked in this browser's settings.", "이 브라우저 설정에서 알림이 차단되어 있습니다.";
    push_failed: "Could not turn on notifications. Try again.", "알림을 켜지 못했습니다. 다시 시도하세요.";
    no_notifications: "No notifications for this order yet.", "이 주문의 알림이 아직 없습니다.";
    delivery_when: "When", "시각";
    delivery_status: "Status", "상태";
    attempts: "Attempts", "시도";
    recipient_member: "staff", "직원";
    recipient_customer: "customer", "고객";
    delivery_queued: "queued", "대기 중";
    delivery_sending: "sending", "보내는 중";
    delivery_sent: "sent", "보냄";
    delivery_delivered: "delivered", "전달됨";
    delivery_read: "read", "읽음";
    delivery_failed: "failed", "실패";
    delivery_cancelled: "cancelled", "취소됨";
    // Never miss an order: the board's age and escalation, readiness, pause.
    waiting: "Waiting", "대기";
    age_just_now: "just now", "방금";
    n_minutes: "{n} min", "{n}분";
    age_hours: "{h} h {m} min", "{h}시간 {m}분";
    next_repeat: "Reminder at {time}", "{time}에 다시 알림";
    next_call: "Phone call at {time}", "{time}에 전화 알림";
    next_miss: "Missed at {time}", "{time}에 응답 없음 처리";
    tomorrow: "tomorrow", "내일";
    readiness: "Would a new order be heard?", "새 주문 알림 상태";
    ready_open: "Open for orders", "주문 받는 중";
    ready_closed: "Closed for orders", "주문 받지 않음";
    ready_closed_until: "Closed until {time}", "{time}까지 주문 받지 않음";
    ready_paused_until: "Paused until {time}", "{time}까지 주문 일시 중지";
    ready_hearing: "New orders will be heard", "새 주문 알림이 울립니다";
    ready_not_hearing: "Nobody would hear a new order", "새 주문을 들을 곳이 없습니다";
    ready_dashboards: "Dashboards with sound", "소리 켜진 대시보드";
    ready_printers: "Working printers", "작동 중인 프린터";
    ready_channels: "Linked channels", "연결된 알림 채널";
    problem_no_dashboard_with_sound: "No dashboard with its sound on is open.", "소리가 켜진 대시보드가 없습니다.";
    problem_printer_offline: "A printer is offline.", "프린터가 연결되어 있지 않습니다.";
    problem_printer_paper_out: "A printer is out of paper.", "프린터 용지가 없습니다.";
    problem_channel_dead: "A linked channel no longer receives messages.", "연결된 알림 채널이 메시지를 받지 못합니다.";
    problem_no_listener: "Nothing and nobody would hear a new order.", "새 주문을 들을 수 있는 곳이 하나도 없습니다.";
    problem_other: "Something needs a look.", "확인이 필요합니다.";
    unheard_banner: "Nobody would hear a new order right now. Keep this dashboard open with its sound on, or check the printer.", "지금은 새 주문을 들을 곳이 없습니다. 이 대시보드를 소리를 켠 채로 열어 두거나 프린터를 확인하세요.";
    pause_for: "Pause online orders", "온라인 주문 잠시 멈추기";
    pause_minutes: "Pause {n} min", "{n}분 멈추기";
    resume: "Resume orders", "주문 다시 받기";
    // Settings: the alert policy, default ETA and opening hours.
    alerts_title: "Unanswered orders", "응답 없는 주문";
    alerts_lead: "What happens when nobody answers a new order. Times count from when the order was placed; leave a field empty to turn that step off.", "새 주문에 아무도 응답하지 않을 때 일어나는 일입니다. 시간은 주문 시각부터 세며, 칸을 비우면 그 단계를 끕니다.";
    repeat_after: "Remind again after (seconds)", "다시 알림까지 (초)";
    repeat_every: "Then remind every (seconds)", "이후 알림 간격 (초)";
    call_after: "Call the members' phones after (seconds)", "직원 전화로 걸기까지 (초)";
    miss_after: "Mark the order missed and tell the guest after (seconds)", "응답 없음 처리하고 손님에게 알리기까지 (초)";
    unheard_after: "Tell the owners when nobody would hear an order for (seconds)", "주문을 들을 곳이 없을 때 주인에게 알리기까지 (초)";
    pause_when_unheard: "Pause online orders while nobody would hear them", "주문을 들을 곳이 없는 동안 온라인 주문 멈추기";
    pause_after_missed: "Pause online orders after this many missed orders in a row", "연속으로 이만큼 응답하지 못하면 온라인 주문 멈추기";
    seconds_hint: "10 to 86400 seconds.", "10초에서 86400초 사이.";
    seconds_off_hint: "10 to 86400 seconds; empty: off.", "10초에서 86400초 사이. 비우면 꺼집니다.";
    missed_count_hint: "1 to 100; empty: never.", "1에서 100 사이. 비우면 멈추지 않습니다.";
    default_eta: "Default time until ready (minutes)", "기본 준비 시간 (분)";
    default_eta_hint: "Used when an order is accepted from a phone call. 1 to 240 minutes.", "전화로 주문을 수락할 때 씁니다. 1분에서 240분 사이.";
    opening_hours: "Opening hours", "영업시간";
    hours_on: "Take guest orders only during opening hours", "영업시간에만 손님 주문 받기";
    hours_hint: "Times such as 09:00-14:00, several separated by commas; empty: closed that day. A closing time before the opening time runs past midnight.", "09:00-14:00 형식이며 여러 개는 쉼표로 구분합니다. 비우면 그날은 쉽니다. 닫는 시각이 여는 시각보다 이르면 자정을 넘깁니다.";
    day_mon: "Monday", "월요일";
    day_tue: "Tuesday", "화요일";
    day_wed: "Wednesday", "수요일";
    day_thu: "Thursday", "목요일";
    day_fri: "Friday", "금요일";
    day_sat: "Saturday", "토요일";
    day_sun: "Sunday", "일요일";
    closed_dates: "Closed dates", "휴무일";
    closed_dates_hint: "Dates such as 2026-12-25, separated by commas.", "2026-12-25 형식이며 쉼표로 구분합니다.";
    // The guest's shop page when it is closed.
    shop_closed_now: "This shop is not taking orders right now.", "지금은 주문을 받지 않습니다.";
    shop_closed_until: "This shop is closed until {time}.", "{time}까지 주문을 받지 않습니다.";
    shop_paused_until: "This shop has paused online orders until {time}.", "가게가 {time}까지 온라인 주문을 잠시 멈췄습니다.";
    // Tracking: a missed order.
    missed_sorry: "Sorry — the shop could not answer your order in time, so it will not be made.", "죄송합니다. 가게에서 제시간에 주문을 확인하지 못해 주문이 진행되지 않습니다.";
    missed_call: "Please call the shop:", "가게로 전화해 주세요:";
    missed_no_phone: "Please contact the shop directly.", "가게에 직접 문의해 주세요.";
    // Account: the member's phone for escalation calls.
    my_phone: "Phone for urgent calls", "긴급 전화 받을 번호";
    my_phone_hint: "When an order goes unanswered, Orderbell calls this number. International form, e.g. +821012345678; empty: no calls.", "주문에 응답이 없으면 Orderbell이 이 번호로 전화합니다. 국제 형식(예: +821012345678)으로 쓰고, 비우면 전화하지 않습니다.";
    err_phone_international: "Enter the number in international form, e.g. +821012345678.", "국제 형식으로 입력하세요 (예: +821012345678).";
    phone_saved: "Phone number saved.", "전화번호를 저장했습니다.";
}

impl Texts {
    pub fn status(&self, status: OrderStatus) -> &'static str {
        match status {
            OrderStatus::Pending => self.status_pending,
            OrderStatus::Accepted => self.status_accepted,
            OrderStatus::Ready => self.status_ready,
            OrderStatus::Completed => self.status_completed,
            OrderStatus::Rejected => self.status_rejected,
            OrderStatus::Cancelled => self.status_cancelled,
            OrderStatus::Missed => self.status_missed,
        }
    }

    pub fn fulfillment(&self, kind: &str) -> &'static str {
        match kind {
            "dine_in" => self.dine_in,
            "delivery" => self.delivery,
            _ => self.pickup,
        }
    }

    /// An event of an order's history (`created`, `accept`…).
    pub fn action(&self, kind: &str) -> &'static str {
        match kind {
            "created" => self.action_created,
            "acknowledge" => self.action_acknowledge,
            "accept" => self.action_accept,
            "reject" => self.action_reject,
            "ready" => self.action_ready,
            "complete" => self.action_complete,
            "cancel" => self.action_cancel,
            "miss" => self.action_miss,
            _ => "",
        }
    }

    /// A notification channel (`telegram`, `whatsapp`, `webpush`, `fcm`) in words.
    pub fn channel_label(&self, channel: &str) -> &'static str {
        match channel {
            "telegram" => self.channel_telegram,
            "whatsapp" => self.channel_whatsapp,
            "webpush" => self.channel_webpush,
            _ => self.channel_fcm,
        }
    }

    /// A channel link's state (`active`, `dead`, `unlinked`) in words.
    pub fn link_status(&self, status: &str) -> &'static str {
        match status {
            "active" => self.link_active,
            "dead" => self.link_dead,
            _ => self.link_unlinked,
        }
    }

    /// A notification's delivery state in words.
    pub fn delivery(&self, status: &str) -> &'static str {
        match status {
            "queued" => self.delivery_queued,
            "sending" => self.delivery_sending,
            "sent" => self.delivery_sent,
            "delivered" => self.delivery_delivered,
            "read" => self.delivery_read,
            "cancelled" => self.delivery_cancelled,
            _ => self.delivery_failed,
        }
    }

    /// A field error's code in words.
    pub fn field_error(&self, code: &str, field: &str) -> &'static str {
        match code {
            "required" => self.err_required,
            "too_long" => self.err_too_long,
            "invalid" if field.ends_with("phone") => self.err_phone,
            "sold_out" => self.err_sold_out,
            "too_few" => self.err_too_few,
            "too_many" => self.err_too_many,
            "out_of_range" => self.err_out_of_range,
            "unknown" => self.err_unknown,
            "not_accepting_orders" => self.not_accepting,
            "shop_closed" => self.shop_closed_now,
            _ => self.err_invalid,
        }
    }

    /// A readiness problem (`no_dashboard_with_sound`, `printer_offline`…) in words.
    pub fn problem(&self, code: &str) -> &'static str {
        match code {
            "no_dashboard_with_sound" => self.problem_no_dashboard_with_sound,
            "printer_offline" => self.problem_printer_offline,
            "printer_paper_out" => self.problem_printer_paper_out,
            "channel_dead" => self.problem_channel_dead,
            "no_listener" => self.problem_no_listener,
            _ => self.problem_other,
        }
    }

    /// Every readiness problem code with its words (the dashboard's script reads them).
    pub fn problems(&self) -> [(&'static str, &'static str); 6] {
        [
            "no_dashboard_with_sound",
            "printer_offline",
            "printer_paper_out",
            "channel_dead",
            "no_listener",
            "other",
        ]
        .map(|code| (code, self.problem(code)))
    }

    /// A weekday by its opening-hours key (`mon` … `sun`).
    pub fn day(&self, key: &str) -> &'static str {
        match key {
            "mon" => self.day_mon,
            "tue" => self.day_tue,
            "wed" => self.day_wed,
            "thu" => self.day_thu,
            "fri" => self.day_fri,
            "sat" => self.day_sat,
            _ => self.day_sun,
        }
    }

    /// How long an order has waited: `just now`, `3 min`, `1 h 5 min`.
    pub fn age(&self, millis: i64) -> String {
        let minutes = millis.max(0) / 60_000;
        if minutes < 1 {
            self.age_just_now.to_owned()
        } else if minutes < 60 {
            self.n_minutes.replace("{n}", &minutes.to_string())
        } else {
            self.age_hours
                .replace("{h}", &(minutes / 60).to_string())
                .replace("{m}", &(minutes % 60).to_string())
        }
    }

    /// How many options a group takes, in words.
    pub fn choose(&self, min: i64, max: i64) -> String {
        if min == max {
            self.choose_exactly.replace("{n}", &max.to_string())
        } else if min == 0 {
            self.choose_up_to.replace("{n}", &max.to_string())
        } else {
            self.choose_between
                .replace("{min}", &min.to_string())
                .replace("{max}", &max.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(
            from_accept_language("fr, en;q=0.5, ko;q=0.7"),
            Some(Lang::Ko)
        );
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("ko;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn the_cookie_wins_over_the_header() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("orderbell_lang=ko"),
        );
        assert_eq!(Lang::negotiate(&h, None), Lang::Ko);
        assert_eq!(Lang::negotiate(&HeaderMap::new(), Some("ko")), Lang::Ko);
        assert_eq!(Lang::negotiate(&HeaderMap::new(), None), Lang::En);
    }
}
