// Masthead reader: the little shared layer (API base, fetch, pictures, bylines).
// Plain ES module, no dependencies, no build step.

const DEFAULT_API = 'http://127.0.0.1:8080';
const KEY = 'masthead.api';

/** The API's base URL: `?api=` (remembered for this tab), else the remembered one, else the default. */
export function apiBase() {
  const given = new URLSearchParams(location.search).get('api');
  if (given) {
    try {
      const url = new URL(given);
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        const base = url.origin + url.pathname.replace(/\/+$/, '');
        sessionStorage.setItem(KEY, base);
        return base;
      }
    } catch {
      /* not a URL: ignored */
    }
  }
  return sessionStorage.getItem(KEY) || DEFAULT_API;
}

/** An error the page can show: the problem document's `detail` when there is one. */
export class ApiError extends Error {
  constructor(message, status, problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** Sends a request to the API and returns its JSON body (null for an empty one). */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(apiBase() + path, init);
  } catch (e) {
    // A network failure or a CORS refusal: the browser tells scripts nothing more.
    throw new ApiError(`Could not reach the news service (${e.message}).`, 0, null);
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    let detail = problem?.detail || problem?.title || `${res.status} ${res.statusText}`;
    // A validation problem names each field that is not valid.
    const fields = Array.isArray(problem?.errors) ? problem.errors : [];
    if (fields.length > 0) detail += ` (${fields.map((f) => `${f.field}: ${f.message}`).join('; ')})`;
    throw new ApiError(detail, res.status, problem);
  }
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** An absolute URL for something the API named (older servers send relative ones). */
export function absolute(url) {
  return new URL(url, apiBase() + '/').href;
}

/** A link to another page of this site, carrying `?api=` along when it was given. */
export function siteLink(page, params = {}) {
  const query = new URLSearchParams(params);
  const given = new URLSearchParams(location.search).get('api');
  if (given) query.set('api', given);
  const q = query.toString();
  return q ? `${page}?${q}` : page;
}

/** Shorthand for making an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * A Picture (the API's featured image: url, width, height, alt_text, caption, credit,
 * illustrative, renditions) normalised for rendering. `uses` is an article's `images` list,
 * used when the server only sent `{image_id, caption_id}` (servers before the Picture shape).
 */
export function pictureOf(featured, uses = []) {
  if (!featured) return null;
  if (featured.url) {
    return {
      url: absolute(featured.url),
      width: featured.width,
      height: featured.height,
      alt: featured.alt_text ?? '',
      caption: featured.caption ?? null,
      credit: featured.credit ?? null,
      illustrative: Boolean(featured.illustrative),
      renditions: (featured.renditions || []).map((r) => ({ ...r, url: absolute(r.url) })),
    };
  }
  const use = uses.find((u) => u.usage === 'featured' && u.image?.id === featured.image_id);
  if (!use) return null;
  return {
    url: absolute(use.image.url),
    width: use.image.width,
    height: use.image.height,
    alt: use.image.alt_text ?? '',
    caption: use.caption?.text ?? null,
    credit: use.caption?.effective_credit ?? use.image.credit ?? null,
    illustrative: Boolean(use.caption?.illustrative),
    renditions: (use.image.renditions || []).map((r) => ({ ...r, url: absolute(r.url) })),
  };
}

/** An <img> with src, srcset (every rendition and the original), sizes, width, height, alt. */
export function img(picture, { sizes, loading = 'lazy', smallest = 0 } = {}) {
  const sources = [...picture.renditions, { url: picture.url, width: picture.width }]
    .filter((r) => r.width >= smallest || r.url === picture.url)
    .sort((a, b) => a.width - b.width);
  // `src` for browsers without srcset: the smallest source at least as wide as asked for.
  const fallback = sources.find((s) => s.width >= smallest) || sources[sources.length - 1];
  return h('img', {
    src: fallback.url,
    srcset: sources.map((s) => `${s.url} ${s.width}w`).join(', '),
    sizes,
    width: picture.width,
    height: picture.height,
    alt: picture.alt,
    loading,
    decoding: 'async',
  });
}

/** "Ann Lee and Bo Ng", "Ann Lee, Bo Ng and Cy Ho". */
export function byline(authors = []) {
  const names = authors.map((a) => a.display_name);
  if (names.length === 0) return '';
  if (names.length === 1) return `By ${names[0]}`;
  return `By ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** A <time> with a readable date. */
export function time(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return h('time', {
    datetime: iso,
    text: d.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' }),
  });
}

/** Shows a failure in the page's status region. */
export function showError(where, message) {
  where.replaceChildren(h('p', { class: 'error', role: 'alert', text: message }));
}
