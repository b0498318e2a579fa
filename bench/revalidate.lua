-- wrk script: revalidate one article with If-None-Match (expects 304).
wrk.headers["If-None-Match"] = os.getenv("ETAG")
