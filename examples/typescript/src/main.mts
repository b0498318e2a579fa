// The editorial flow end to end through a client generated from openapi/openapi.json:
// openapi-typescript types + openapi-fetch, strict TypeScript, no `any` and no casts.
//
// MASTHEAD_URL, MASTHEAD_ADMIN_EMAIL and MASTHEAD_ADMIN_PASSWORD say where and who.
// One line per step; the first failing step stops the run with exit code 1.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";
import { makePng, pngSize } from "./png.mjs";

type Schemas = components["schemas"];
/** The media types this program reads: whole JSON representations and problem documents. */
type Media = "application/json" | "application/problem+json";

// ---------------------------------------------------------------------------------------------
// Steps and checks

let passed = 0;
let failed = 0;

class Check extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Check(message);
}

function equal<T>(actual: T, expected: T, what: string): void {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function present<T>(value: T | null | undefined, what: string): T {
  check(value !== null && value !== undefined, `${what} is missing`);
  return value;
}

/** What openapi-fetch returns for one call (its success/error union, seen from outside). */
interface Outcome<D> {
  data?: D | undefined;
  error?: unknown;
  response: Response;
}

/** The data of a response that must have this status. */
function expect<D>(outcome: Outcome<D>, status: number, what: string): D {
  const { response } = outcome;
  check(
    response.status === status,
    `${what}: expected HTTP ${status}, got ${response.status} ${JSON.stringify(outcome.error ?? outcome.data)}`,
  );
  return present(outcome.data, `${what}: the response body`);
}

function etagOf(response: Response, what: string): string {
  return present(response.headers.get("ETag"), `${what}: the ETag header`);
}

async function step(name: string, run: () => Promise<string | void>): Promise<void> {
  try {
    const detail = await run();
    passed++;
    console.log(`ok   ${String(passed + failed).padStart(2)} ${name}${detail ? ` (${detail})` : ""}`);
  } catch (e: unknown) {
    failed++;
    console.log(`FAIL ${String(passed + failed).padStart(2)} ${name}: ${e instanceof Error ? e.message : String(e)}`);
    throw new Stop();
  }
}

class Stop extends Error {}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The flow

async function main(): Promise<void> {
  const baseUrl = env("MASTHEAD_URL").replace(/\/+$/, "");
  const email = env("MASTHEAD_ADMIN_EMAIL");
  const password = env("MASTHEAD_ADMIN_PASSWORD");
  const run = crypto.randomUUID().slice(0, 8); // makes slugs, tags and image bytes unique per run
  const tag = `ts-${run}`;
  // A word no other article contains: the run's hex digits spelt as letters (0 -> a, f -> p).
  const word = `zephyrine${[...run].map((c) => String.fromCharCode(97 + Number.parseInt(c, 16))).join("")}`;

  // Whole representations only: this program never sends `fields`, `formats` or `include`, so
  // the sparse shapes (application/vnd.masthead.sparse+json) are left out of the types.
  const anonymous = createClient<paths, Media>({ baseUrl });
  let desk = anonymous;

  let token = "";
  await step("log in as the admin", async () => {
    const login = expect(
      await anonymous.POST("/v1/auth/login", { body: { email, password } }),
      200,
      "POST /v1/auth/login",
    );
    equal(login.token_type, "Bearer", "token_type");
    equal(login.user.email, email, "user.email");
    check(login.expires_in > 0, "expires_in is not positive");
    token = login.access_token;
    desk = createClient<paths, Media>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
    const me = expect(await desk.GET("/v1/auth/me"), 200, "GET /v1/auth/me");
    equal(me.id, login.user.id, "me.id");
    return `${me.role} ${me.email}`;
  });

  // 960x640 is 3:2, so the 320 px rendition is 213.33 px high: the API must say what it serves.
  const width = 960;
  const height = 640;
  const png = makePng(width, height, Number.parseInt(run, 16));
  let image: Schemas["Image"] | undefined;
  let imageEtag = "";
  await step("upload a PNG (multipart)", async () => {
    const { data, error, response } = await desk.POST("/v1/images", {
      body: { file: new Blob([png], { type: "image/png" }), title: `Test card ${run}` },
      bodySerializer: toFormData,
    });
    const created = expect({ data, error, response }, 201, "POST /v1/images");
    equal(created.content_type, "image/png", "content_type");
    equal(created.width, width, "width");
    equal(created.height, height, "height");
    equal(created.alt_text, null, "alt_text before the PATCH");
    check(created.url.startsWith("http"), `url is not absolute: ${created.url}`);
    check(created.renditions.length > 0, "no renditions for a 960 px image");
    image = created;
    imageEtag = etagOf(response, "POST /v1/images");
    return `${created.id}, ${created.renditions.map((r) => `${r.width}x${r.height}`).join(" ")}`;
  });
  const img = present(image, "the image");

  await step("set its alt text and credit (PATCH with If-Match)", async () => {
    const { data, error, response } = await desk.PATCH("/v1/images/{id}", {
      params: { path: { id: img.id }, header: { "If-Match": imageEtag } },
      body: { alt_text: "A test card: a colour gradient", credit: "Masthead CI" },
    });
    const updated = expect({ data, error, response }, 200, "PATCH /v1/images/{id}");
    equal(updated.alt_text, "A test card: a colour gradient", "alt_text");
    equal(updated.credit, "Masthead CI", "credit");
    check(updated.version > img.version, "version did not move");
    const stale = await desk.PATCH("/v1/images/{id}", {
      params: { path: { id: img.id }, header: { "If-Match": imageEtag } },
      body: { title: "lost update" },
    });
    equal(stale.response.status, 412, "a second PATCH with the old ETag");
    return `version ${updated.version}, stale ETag -> 412`;
  });

  const slug = `ts-flow-${run}`;
  let article: Schemas["Article"] | undefined;
  await step("create an article with the featured image", async () => {
    const { data, error, response } = await desk.POST("/v1/articles", {
      body: {
        title: `Typed clients reach the newsroom ${run}`,
        slug,
        standfirst: "A strict TypeScript program walks the editorial flow.",
        body: [
          { type: "paragraph", text: `The council approved the budget on Tuesday, a ${word} moment.` },
          { type: "quote", text: "Every number adds up", attribution: "The treasurer" },
        ],
        tags: [tag],
        featured_image: { image_id: img.id },
      },
    });
    const created = expect({ data, error, response }, 201, "POST /v1/articles");
    equal(created.status, "draft", "status");
    equal(created.slug, slug, "slug");
    equal(present(created.featured_image, "featured_image").image_id, img.id, "featured_image.image_id");
    check(response.headers.get("Location") !== null, "no Location header");
    article = created;
    return created.id;
  });
  let art = present(article, "the article");

  let caption: Schemas["Caption"] | undefined;
  await step("create a caption for that use", async () => {
    const created = expect(
      await desk.POST("/v1/captions", {
        body: { article_id: art.id, image_id: img.id, text: "The gradient the council approved", credit: "Desk photo" },
      }),
      201,
      "POST /v1/captions",
    );
    equal(created.article_id, art.id, "article_id");
    equal(created.effective_credit, "Desk photo", "effective_credit");
    caption = created;
    return created.id;
  });
  const cap = present(caption, "the caption");

  await step("attach it to the featured image and to an image block (If-Match)", async () => {
    const current = await desk.GET("/v1/articles/{id}", { params: { path: { id: art.id } } });
    const draft = expect(current, 200, "GET /v1/articles/{id} (editor)");
    const { data, error, response } = await desk.PATCH("/v1/articles/{id}", {
      params: { path: { id: art.id }, header: { "If-Match": etagOf(current.response, "GET article") } },
      body: {
        featured_image: { image_id: img.id, caption_id: cap.id },
        body: [...draft.body, { type: "image", image_id: img.id, caption_id: cap.id }],
      },
    });
    const updated = expect({ data, error, response }, 200, "PATCH /v1/articles/{id}");
    equal(present(updated.featured_image, "featured_image").caption_id, cap.id, "featured_image.caption_id");
    equal(updated.body.length, draft.body.length + 1, "body blocks");
    art = updated;
    return `version ${updated.version}`;
  });

  await step("publish it", async () => {
    const published = expect(
      await desk.POST("/v1/articles/{id}/publish", { params: { path: { id: art.id } } }),
      200,
      "POST /v1/articles/{id}/publish",
    );
    equal(published.status, "published", "status");
    check(published.published_at !== null, "published_at is not set");
    art = published;
    return published.published_at ?? "";
  });

  let articleEtag = "";
  let picture: Schemas["Picture"] | undefined;
  await step("read it by slug without a token; check the featured picture", async () => {
    const { data, error, response } = await anonymous.GET("/v1/articles/{id}", { params: { path: { id: slug } } });
    const read = expect({ data, error, response }, 200, "GET /v1/articles/{id} (public)");
    articleEtag = etagOf(response, "GET /v1/articles/{id}");
    equal(read.id, art.id, "id");
    equal(read.status, "published", "status");
    const featured = present(read.featured_image, "featured_image");
    checkPicture(featured, "featured_image");
    picture = featured;
    // Every use is also listed in `images`: the featured one and the body's image block.
    const uses = read.images.map((u) => ({ usage: u.usage, block: u.block }));
    const expected: { usage: Schemas["ImageUsage"]; block: number | null }[] = [
      { usage: "featured", block: null },
      { usage: "body", block: 2 },
    ];
    equal(JSON.stringify(uses), JSON.stringify(expected), "images[] uses");
    return `ETag ${articleEtag}`;
  });
  const pic = present(picture, "the picture");

  /** What the flow set up, as a reader's page gets it. */
  function checkPicture(p: Schemas["Picture"], what: string): void {
    equal(p.image_id, img.id, `${what}.image_id`);
    equal(p.caption_id, cap.id, `${what}.caption_id`);
    equal(p.url, img.url, `${what}.url`);
    check(p.url.startsWith(`${baseUrl}/`), `${what}.url is not absolute on ${baseUrl}: ${p.url}`);
    equal(p.width, width, `${what}.width`);
    equal(p.height, height, `${what}.height`);
    equal(p.alt_text, "A test card: a colour gradient", `${what}.alt_text`);
    equal(p.caption, "The gradient the council approved", `${what}.caption`);
    equal(p.credit, "Desk photo", `${what}.credit (the caption's)`);
    equal(p.illustrative, false, `${what}.illustrative`);
    equal(JSON.stringify(p.renditions), JSON.stringify(img.renditions), `${what}.renditions`);
    for (const r of p.renditions) check(r.url.startsWith(`${baseUrl}/`), `${what}: rendition url ${r.url}`);
  }

  await step("body_html renders the image block as a complete <figure>", async () => {
    const read = expect(
      await anonymous.GET("/v1/articles/{id}", { params: { path: { id: slug } } }),
      200,
      "GET /v1/articles/{id}",
    );
    // class "image", not "image illustrative": the caption was made with illustrative false.
    const figure = present(/<figure class="image">.*?<\/figure>/s.exec(read.body_html)?.[0], "a <figure> in body_html");
    const srcset = [...pic.renditions.map((r) => `${r.url} ${r.width}w`), `${pic.url} ${pic.width}w`].join(", ");
    for (const part of [
      `<img src="${pic.url}"`, // no rendition is 1024 px or wider: the original
      `srcset="${srcset}"`,
      `width="${pic.width}" height="${pic.height}"`,
      `alt="${pic.alt_text ?? ""}"`,
      `loading="lazy"`,
      `<figcaption><span class="caption">${pic.caption ?? ""}</span> <span class="credit">${pic.credit ?? ""}</span></figcaption>`,
    ]) {
      check(figure.includes(part), `the figure lacks ${part}: ${figure}`);
    }
    check(read.body_html.includes("Every number adds up"), "body_html lacks the quote");
    return `${figure.length} bytes`;
  });

  await step("fetch the 320 px rendition: its pixels match the API's numbers", async () => {
    const rendition = present(
      pic.renditions.find((r) => r.width === 320),
      "a 320 px rendition",
    );
    equal(rendition.url, `${img.url}?w=320`, "rendition url");
    const { data, error, response } = await anonymous.GET("/v1/images/{id}/file", {
      params: { path: { id: img.id }, query: { w: 320 } },
      parseAs: "arrayBuffer",
    });
    const bytes = new Uint8Array(expect({ data, error, response }, 200, "GET /v1/images/{id}/file?w=320"));
    equal(response.headers.get("Content-Type"), "image/png", "Content-Type");
    const size = present(pngSize(bytes), "a PNG size");
    equal(size.width, rendition.width, "rendition pixel width");
    equal(size.height, rendition.height, "rendition pixel height");
    return `${size.width}x${size.height}`;
  });

  const listed: string[] = [art.id];
  await step("create and publish three more articles with the same tag", async () => {
    for (let i = 1; i <= 3; i++) {
      const created = expect(
        await desk.POST("/v1/articles", {
          body: {
            title: `Cursor page filler ${i} ${run}`,
            body: [{ type: "paragraph", text: `Filler ${i} for the paging test.` }],
            tags: [tag],
          },
        }),
        201,
        `POST /v1/articles (${i})`,
      );
      expect(
        // The body is optional: the first goes without one, the others with an empty one.
        await desk.POST("/v1/articles/{id}/publish", {
          params: { path: { id: created.id } },
          ...(i === 1 ? {} : { body: {} }),
        }),
        200,
        `POST /v1/articles/{id}/publish (${i})`,
      );
      listed.push(created.id);
    }
    return `${listed.length} articles tagged ${tag}`;
  });

  await step("list them two at a time, following next_cursor", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cardChecked = false;
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query: { tag: string; limit: number; cursor?: string } = { tag, limit: 2 };
      if (cursor !== undefined) query.cursor = cursor;
      const listing = expect(await anonymous.GET("/v1/articles", { params: { query } }), 200, "GET /v1/articles");
      check(listing.items.length <= 2, `page ${page + 1} has ${listing.items.length} items with limit=2`);
      sizes.push(listing.items.length);
      for (const card of listing.items) {
        equal(card.status, "published", `card ${card.id}: status`);
        seen.push(card.id);
      }
      const card = listing.items.find((c) => c.id === art.id);
      if (card) {
        checkPicture(present(card.featured_image, "the card's featured_image"), "card.featured_image");
        cardChecked = true;
      }
      if (listing.next_cursor === null) break;
      cursor = listing.next_cursor;
    }
    equal(seen.length, listed.length, "articles seen across pages");
    equal(new Set(seen).size, seen.length, "distinct articles across pages");
    for (const id of listed) check(seen.includes(id), `article ${id} never listed`);
    check(cardChecked, "the flow's card was never checked");
    return `pages of ${sizes.join(", ")}`;
  });

  await step("search with q=", async () => {
    const found = expect(
      await anonymous.GET("/v1/articles", { params: { query: { q: word } } }),
      200,
      "GET /v1/articles?q=",
    );
    equal(found.items.length, 1, `results for "${word}"`);
    equal(found.items[0]?.id, art.id, "the result");
    return `"${word}" -> ${art.slug}`;
  });

  let receipt: Schemas["ReportReceipt"] | undefined;
  await step("a reader reports a mistake (public)", async () => {
    const sent = expect(
      await anonymous.POST("/v1/articles/{id}/corrections", {
        params: { path: { id: slug } },
        body: { quote: "approved the budget on Tuesday", suggestion: "It was Wednesday.", name: "A reader" },
      }),
      202,
      "POST /v1/articles/{id}/corrections",
    );
    equal(sent.status, "new", "status");
    equal(sent.quote_found, true, "quote_found");
    const location = present(sent.quote_location, "quote_location");
    check(location.end > location.start, "quote_location is empty");
    receipt = sent;
    return `${sent.id}, found in ${location.field} [${location.start}, ${location.end})`;
  });
  const report = present(receipt, "the report");

  await step("flag a caption and a quote with its attribution, no suggestion", async () => {
    const found: Schemas["QuoteField"][] = [];
    for (const quote of ["gradient the council approved", "Every number adds up The treasurer"]) {
      const sent = expect(
        await anonymous.POST("/v1/articles/{id}/corrections", { params: { path: { id: slug } }, body: { quote } }),
        202,
        `POST /v1/articles/{id}/corrections ("${quote}")`,
      );
      equal(sent.quote_found, true, `quote_found for "${quote}"`);
      found.push(present(sent.quote_location, `quote_location for "${quote}"`).field);
    }
    const expected: Schemas["QuoteField"][] = ["caption", "body"];
    equal(found.join(" "), expected.join(" "), "the fields the quotes were found in");
    return found.join(", ");
  });

  const note = "The budget was approved on Wednesday, not Tuesday.";
  await step("triage it: triaged, then accepted with a public note", async () => {
    const queued = await desk.GET("/v1/corrections/{id}", { params: { path: { id: report.id } } });
    equal(expect(queued, 200, "GET /v1/corrections/{id}").suggestion, "It was Wednesday.", "suggestion");
    const triaged = await desk.PATCH("/v1/corrections/{id}", {
      params: { path: { id: report.id }, header: { "If-Match": etagOf(queued.response, "GET report") } },
      body: { status: "triaged", editor_note: "Checking the minutes." },
    });
    equal(expect(triaged, 200, "PATCH /v1/corrections/{id} (triaged)").status, "triaged", "status");
    const accepted = await desk.PATCH("/v1/corrections/{id}", {
      params: { path: { id: report.id }, header: { "If-Match": etagOf(triaged.response, "PATCH report") } },
      body: { status: "accepted", public_note: note },
    });
    const done = expect(accepted, 200, "PATCH /v1/corrections/{id} (accepted)");
    equal(done.status, "accepted", "status");
    equal(done.public_note, note, "public_note");
    check(done.corrected_at !== null, "corrected_at is not set");
    return `version ${done.version}`;
  });

  await step("read the public corrections log", async () => {
    const log = expect(
      await anonymous.GET("/v1/articles/{id}/corrections", { params: { path: { id: slug } } }),
      200,
      "GET /v1/articles/{id}/corrections",
    );
    const entry = present(
      log.items.find((e) => e.id === report.id),
      "the accepted report in the log",
    );
    equal(entry.note, note, "note");
    const read = expect(
      await anonymous.GET("/v1/articles/{id}", { params: { path: { id: slug } } }),
      200,
      "GET /v1/articles/{id}",
    );
    check(
      read.corrections.some((c) => c.id === report.id),
      "the article's corrections do not list the accepted report",
    );
    check(read.corrected_at !== null, "the article's corrected_at is not set");
    return `${log.items.length} entr${log.items.length === 1 ? "y" : "ies"}`;
  });

  await step("a conditional GET answers 304 Not Modified", async () => {
    const fresh = await anonymous.GET("/v1/articles/{id}", { params: { path: { id: slug } } });
    expect(fresh, 200, "GET /v1/articles/{id}");
    const etag = etagOf(fresh.response, "GET /v1/articles/{id}");
    check(etag !== articleEtag, "the ETag did not change after the correction");
    const again = await anonymous.GET("/v1/articles/{id}", {
      params: { path: { id: slug }, header: { "If-None-Match": etag } },
    });
    // openapi-fetch treats 304 as an error (it is not 2xx): `data` is undefined and `error` is
    // the empty body, "". Only the status tells a 304 apart from a failure.
    equal(again.response.status, 304, "status with If-None-Match");
    equal(again.data, undefined, "data on a 304");
    equal(again.response.headers.get("ETag"), etag, "ETag on the 304");
    const changed = await anonymous.GET("/v1/articles/{id}", {
      params: { path: { id: slug }, header: { "If-None-Match": articleEtag } },
    });
    equal(expect(changed, 200, "GET with an old ETag").id, art.id, "id");
    return `${etag} -> 304, old ETag -> 200`;
  });
}

/** openapi-fetch's body serializer for multipart bodies: a FormData with each field set. */
function toFormData(body: Schemas["ImageUpload"]): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value instanceof Blob) form.append(name, value, "upload.png");
    else if (typeof value === "string") form.append(name, value);
  }
  return form;
}

try {
  await main();
} catch (e: unknown) {
  if (!(e instanceof Stop)) {
    failed++;
    console.log(`FAIL ${e instanceof Error ? e.message : String(e)}`);
  }
}
console.log(`typescript example: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
