"""An SMTP server on loopback for Orderbell's account-mail tests (aiosmtpd).

Usage: smtp_sink.py PORT CERT KEY USER PASSWORD

Requires STARTTLS (a self-signed certificate made by the test) before AUTH, and AUTH
(PLAIN/LOGIN, the given user and password) before MAIL. Every message received is printed on
stdout as one JSON line: envelope sender and recipients, the decoded Subject, the text/plain and
text/html parts, and the headers, so the test reads what a mail client would show.
Prints "ready" once listening. Exit code 3: aiosmtpd is missing.
"""
import asyncio
import json
import ssl
import sys
import email
from email import policy

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:
    sys.exit(3)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html") and ctype not in parts:
                parts[ctype] = part.get_content()
        print(
            json.dumps(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "subject": str(msg["subject"]),
                    "header_from": str(msg["from"]),
                    "content_type": msg.get_content_type(),
                    "text": parts.get("text/plain"),
                    "html": parts.get("text/html"),
                    "tls": session.ssl is not None,
                    "authenticated": session.authenticated,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


def main():
    port, cert, key, user, password = sys.argv[1:6]

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=int(port),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
