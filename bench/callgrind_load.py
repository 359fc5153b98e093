"""Load for bench/callgrind-intake.sh: N requests from C keep-alive clients.

    callgrind_load.py HOST PORT API_KEY orders|healthz N C

`orders` posts the bench's order (three lines, one with an option, a customer with a phone,
pickup) to shop `bench` with the API key and expects 201; `healthz` expects 200. Prints how many
answers were not the expected status.
"""
import http.client, json, sys, threading
host, port, key, path, n, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
lock = threading.Lock(); counter = [0]; errors = [0]
def body(i):
    return json.dumps({"items":[{"name":"Americano","quantity":2,"unit_price":4500,"options":[{"name":"Extra shot","price":500}]},
        {"name":"Caffè Latte","quantity":1,"unit_price":5000},{"name":"Cheesecake","quantity":1,"unit_price":6500}],
        "customer":{"name":"Guest %d" % (i%1000),"phone":"+8210%08d" % (i%100000)},"fulfillment":{"type":"pickup"},"note":"bench"})
def worker():
    c = http.client.HTTPConnection(host, port, timeout=600)
    while True:
        with lock:
            i = counter[0]; counter[0] += 1
        if i >= n: return
        if path == "orders":
            c.request("POST", "/api/v1/shops/bench/orders", body=body(i), headers={"Authorization":"Bearer "+key,"Content-Type":"application/json"})
            want = 201
        else:
            c.request("GET", "/healthz"); want = 200
        r = c.getresponse(); r.read()
        if r.status != want:
            with lock: errors[0] += 1
ts = [threading.Thread(target=worker) for _ in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
print(path, n, "errors", errors[0])
