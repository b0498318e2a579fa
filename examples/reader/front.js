// The front page: the latest stories as cards, from ONE request (GET /v1/articles?limit=20).
// Each card's thumbnail comes from the summary's `featured_image` (a Picture), so no card
// fetches anything else.

import { api, apiBase, byline, h, img, pictureOf, showError, siteLink, time } from './api.js';

const CARD_SIZES = '(min-width: 60rem) 18rem, (min-width: 40rem) 45vw, 100vw';

/** Thumbnail of a card. Old servers send only `{image_id}` in a list: use the file URL. */
function thumbnail(summary) {
  const picture = pictureOf(summary.featured_image);
  if (picture) return img(picture, { sizes: CARD_SIZES, smallest: 320 });
  if (summary.featured_image?.image_id) {
    const url = `${apiBase()}/v1/images/${encodeURIComponent(summary.featured_image.image_id)}/file?w=320`;
    return h('img', { src: url, alt: '', loading: 'lazy' });
  }
  return null;
}

function card(summary) {
  const href = siteLink('article.html', { slug: summary.slug });
  const thumb = thumbnail(summary);
  return h(
    'li',
    {},
    h(
      'article',
      { class: 'card', 'data-id': summary.id },
      thumb && h('div', { class: 'thumb' }, thumb),
      h('h2', {}, h('a', { href, text: summary.title })),
      summary.standfirst && h('p', { class: 'standfirst', text: summary.standfirst }),
      h('p', { class: 'meta' },
        h('span', { class: 'byline', text: byline(summary.authors) }),
        summary.published_at && ' · ',
        time(summary.published_at)),
    ),
  );
}

async function main() {
  const status = document.getElementById('status');
  const list = document.getElementById('cards');
  try {
    const page = await api('/v1/articles?limit=20');
    list.replaceChildren(...page.items.map(card));
    status.replaceChildren(
      page.items.length ? '' : h('p', { text: 'Nothing has been published yet.' }),
    );
    document.body.dataset.ready = 'true';
  } catch (e) {
    showError(status, `The stories could not be loaded: ${e.message}`);
    document.body.dataset.ready = 'error';
  }
}

main();
