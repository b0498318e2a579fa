// The article page: one request (GET /v1/articles/{slug}) renders the headline, standfirst,
// byline, featured picture with its caption and credit, the body (`body_html`, whose image
// blocks are complete <figure>s) and the public corrections log. Readers report a mistake by
// selecting words and pressing Ctrl+Enter.

import { api, byline, h, img, pictureOf, showError, siteLink, time } from './api.js';

const FEATURED_SIZES = '(min-width: 48rem) 46rem, 100vw';
const QUOTE_MAX = 1000;

const $ = (id) => document.getElementById(id);

/** <figure> with the picture, its caption and credit. */
function figure(picture, className, { loading = 'lazy' } = {}) {
  const caption = [];
  if (picture.caption) caption.push(h('span', { class: 'caption', text: picture.caption }));
  if (picture.illustrative) caption.push(' ', h('span', { class: 'illustrative', text: '(Illustrative image)' }));
  if (picture.credit) caption.push(' ', h('span', { class: 'credit', text: picture.credit }));
  return h(
    'figure',
    { class: className },
    img(picture, { sizes: FEATURED_SIZES, loading }),
    caption.length > 0 && h('figcaption', {}, caption),
  );
}

/**
 * Older servers render image blocks as empty `<figure data-image-id>` placeholders: fill
 * them from the article's `images` (the uses of body blocks, in order).
 */
function fillPlaceholders(body, article) {
  const bodyUses = (article.images || []).filter((u) => u.usage === 'body');
  const placeholders = [...body.querySelectorAll('figure[data-image-id]')].filter(
    (f) => !f.querySelector('img'),
  );
  for (const [i, el] of placeholders.entries()) {
    const use = bodyUses[i];
    if (!use || use.image?.id !== el.dataset.imageId) continue;
    const picture = pictureOf({ image_id: use.image.id }, [{ ...use, usage: 'featured' }]);
    el.replaceWith(figure(picture, 'image'));
  }
}

function render(article) {
  document.title = `${article.title} · Masthead reader`;
  $('headline').textContent = article.title;
  $('standfirst').textContent = article.standfirst || '';
  $('standfirst').hidden = !article.standfirst;
  $('byline').textContent = byline(article.authors);
  const published = time(article.published_at);
  $('dateline').replaceChildren(...(published ? ['· ', published] : []));

  const picture = pictureOf(article.featured_image, article.images);
  $('featured').replaceChildren(picture ? figure(picture, 'featured', { loading: 'eager' }) : '');

  // `body_html` is sanitized by the API when the article is written.
  const body = $('body');
  body.innerHTML = article.body_html;
  fillPlaceholders(body, article);

  const log = article.corrections || [];
  $('corrections-list').replaceChildren(
    ...log.map((c) =>
      h('li', { 'data-id': c.id }, h('p', { text: c.note }), h('p', { class: 'meta' }, 'Corrected ', time(c.corrected_at))),
    ),
  );
  $('corrections').hidden = log.length === 0;
  $('story').hidden = false;
}

// --- Reporting a mistake -------------------------------------------------------------------

let current = null; // the article on the page
let quote = '';

/** The selected text, if it lies in the story, with its whitespace collapsed. */
function selectedQuote() {
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || sel.rangeCount === 0) return '';
  const range = sel.getRangeAt(0);
  if (!$('story').contains(range.commonAncestorContainer)) return '';
  return sel.toString().replace(/\s+/g, ' ').trim();
}

function openReport() {
  if (!current) return;
  const dialog = $('report');
  if (dialog.open) return;
  quote = selectedQuote();
  const status = $('report-status');
  const send = $('report-send');
  status.textContent = '';
  status.className = '';
  $('report-suggestion').value = '';
  $('report-suggestion').readOnly = false;
  $('report-cancel').textContent = 'Cancel';
  if (!quote) {
    $('report-quote').textContent = '';
    $('report-quote').hidden = true;
    status.textContent = 'First select the words that are wrong, then press Ctrl+Enter.';
    send.hidden = true;
  } else if (quote.length > QUOTE_MAX) {
    $('report-quote').textContent = `${quote.slice(0, 200)}…`;
    $('report-quote').hidden = false;
    status.textContent = `Please select fewer words (at most ${QUOTE_MAX} characters).`;
    send.hidden = true;
  } else {
    $('report-quote').textContent = quote;
    $('report-quote').hidden = false;
    send.hidden = false;
    send.disabled = false;
  }
  dialog.showModal();
  (send.hidden ? $('report-cancel') : $('report-suggestion')).focus();
}

async function sendReport(event) {
  event.preventDefault();
  const send = $('report-send');
  if (send.hidden || send.disabled) return;
  const status = $('report-status');
  const suggestion = $('report-suggestion').value.trim();
  const body = { quote };
  if (suggestion) body.suggestion = suggestion;
  send.disabled = true;
  status.className = '';
  status.textContent = 'Sending…';
  try {
    await api(`/v1/articles/${encodeURIComponent(current.id)}/corrections`, { method: 'POST', body });
    status.className = 'thanks';
    status.textContent = 'Thank you. The editors will look at it.';
    send.hidden = true;
    $('report-suggestion').readOnly = true;
    $('report-cancel').textContent = 'Close';
    $('report-cancel').focus();
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
    send.disabled = false;
  }
}

function wireReporting() {
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return;
    if ($('report').open) {
      // Ctrl+Enter in the dialog sends.
      e.preventDefault();
      $('report-form').requestSubmit();
      return;
    }
    e.preventDefault();
    openReport();
  });
  // The button does the same for those without a keyboard; pressing it keeps the selection.
  $('report-button').addEventListener('mousedown', (e) => e.preventDefault());
  $('report-button').addEventListener('click', openReport);
  $('report-form').addEventListener('submit', sendReport);
  $('report-cancel').addEventListener('click', () => $('report').close());
}

async function main() {
  $('home').href = siteLink('index.html');
  const slug = new URLSearchParams(location.search).get('slug');
  const status = $('status');
  if (!slug) {
    showError(status, 'No story was named: open a story from the front page.');
    document.body.dataset.ready = 'error';
    return;
  }
  try {
    current = await api(`/v1/articles/${encodeURIComponent(slug)}`);
    render(current);
    status.replaceChildren();
    wireReporting();
    document.body.dataset.ready = 'true';
  } catch (e) {
    const message = e.status === 404 ? 'This story does not exist (or is not published).' : e.message;
    showError(status, `The story could not be loaded: ${message}`);
    document.body.dataset.ready = 'error';
  }
}

main();
