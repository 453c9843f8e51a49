"""Full article text on demand: safe fetching, extraction, splitting into Telegram messages.

Flow: :func:`fetch_article_html` (allow-listed hosts, pinned public addresses, manual redirects, size
and time caps) → :func:`extract` (trafilatura or per-source selectors, then boilerplate cleaning) →
:func:`render_article` (escaped Telegram HTML, ≤ 4096 visible characters per message) →
:func:`paginate` for "next page" buttons.
The database-backed flow (cache, allowed hosts from configured sources) is
:class:`bot.services.articles.ArticleReader`.

The function ``extract`` is deliberately *not* re-exported here: it would shadow the submodule
``bot.articles.extract`` (``import bot.articles.extract as m`` would then give the function).
Import it as ``from bot.articles.extract import extract``.
"""

from bot.articles.extract import ArticleSelectors, ExtractedArticle
from bot.articles.fetch import fetch_article_html
from bot.articles.render import ArticlePage, paginate, render_article

__all__ = [
    "ArticlePage",
    "ArticleSelectors",
    "ExtractedArticle",
    "fetch_article_html",
    "paginate",
    "render_article",
]
