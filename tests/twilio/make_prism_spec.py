#!/usr/bin/env python3
"""Makes `twilio_api_v2010.prism.json` (the Twilio API description the Prism mock serves in the
tests) from Twilio's own file, for machines without the `shared/testdata/` folder (GitHub
Actions): `make_prism_spec.py SOURCE.json OUT.json`.

SOURCE is `spec/json/twilio_api_v2010.json` of the twilio-oai project, also shipped in the npm
package `@twilio/cli-core@9.0.0` at `package/src/services/twilio-api/twilio_api_v2010.json`.
One change: each array property of the Messages resource's form-encoded request schema
(MediaUrl, PersistentAction) becomes `anyOf: [item, array]` (its description kept), because
Prism does not map a single form field to an array (stoplightio/prism issue 2473). The result equals `shared/testdata/twilio_api_v2010.prism.json`.
"""
import json
import sys


MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


def widen(spec):
    form = spec["paths"][MESSAGES]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"
    ]
    properties = form["schema"]["properties"]
    for name, prop in properties.items():
        if prop.get("type") == "array":
            properties[name] = {"anyOf": [prop["items"], prop]}
            if "description" in prop:
                properties[name]["description"] = prop["description"]
    return spec


def main():
    source, out = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        spec = widen(json.load(f))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(spec, f)


if __name__ == "__main__":
    main()
