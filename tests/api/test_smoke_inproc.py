def test_health(api):
    r = api.call("GET", "/health", auth=False)
    assert r.status == 200, r.raw
    assert r.json == {"status": "ok"}


def test_create_and_get(api):
    r = api.call("POST", "/accounts", {"name": "مُحَمَّد أحمد", "phones": ["٠٥٠١٢٣٤٥٦٧"], "emails": ["A@X.com"]})
    assert r.status == 201, r.raw
    print(r.json)
    g = api.call("GET", f"/accounts/{r.json['id']}")
    assert g.status == 200, g.raw
    s = api.call("GET", "/accounts?q=محمد")
    print(s.json)
    assert s.json["items"]
