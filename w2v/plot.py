"""2-D maps of word neighbourhoods (``w2v plot``).

Each query word is drawn with its nearest neighbours, one colour per query, so the
clusters the vectors form are visible. The projection is PCA of the unit vectors
(numpy SVD, deterministic) or t-SNE when scikit-learn is installed. Drawing needs
matplotlib, an optional extra: ``pip install "w2v[plot]"``.
"""
import io
import os

import numpy as np

__all__ = ["MissingDependency", "neighbourhoods", "pca_2d", "tsne_2d", "project_2d",
           "place_labels", "plot_neighbourhoods", "require_matplotlib", "require_sklearn"]

_IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg")


class MissingDependency(ImportError):
    """An optional package is not installed; the message says how to get it."""


def require_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependency('plotting needs matplotlib: pip install "w2v[plot]"') from None


def require_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingDependency("t-SNE needs scikit-learn: pip install scikit-learn "
                                "(or use --method pca)") from None


def neighbourhoods(kv, words, neighbours=10, restrict_vocab=None):
    """The words to draw: each query followed by its `neighbours` nearest words.

    Returns ``(keys, group, is_query)``: keys to draw (no repeats), the index of the
    query each belongs to, and whether it is a query. A word near several queries
    joins the query it is most similar to; a query is always in its own group.
    """
    words = list(dict.fromkeys(words))         # repeated queries are drawn once
    candidates = {}
    if neighbours > 0:
        for word in words:
            for other, _ in kv.most_similar(word, topn=neighbours, restrict_vocab=restrict_vocab):
                if other not in words:
                    candidates.setdefault(other, None)
    others = list(candidates)
    if others:
        q = np.stack([kv.get_vector(w, norm=True) for w in words])
        c = np.stack([kv.get_vector(w, norm=True) for w in others])
        sims = c @ q.T
        best = np.argmax(sims, axis=1)
        top = sims[np.arange(len(others)), best]
    keys, group, is_query = [], [], []
    for g, word in enumerate(words):
        keys.append(word)
        group.append(g)
        is_query.append(True)
        members = [others[i] for i in np.flatnonzero(best == g)[np.argsort(-top[best == g], kind="stable")]] \
            if others else []
        keys += members
        group += [g] * len(members)
        is_query += [False] * len(members)
    return keys, np.array(group, dtype=np.intp), np.array(is_query, dtype=bool)


def _unit_rows(vectors):
    x = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def pca_2d(vectors):
    """Coordinates of the rows on their first two principal components (of the unit
    vectors: cosine geometry). Signs are fixed (largest loading positive) so the same
    input always gives the same picture."""
    x = _unit_rows(vectors)
    n = x.shape[0]
    out = np.zeros((n, 2))
    if n < 2:
        return out
    x = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    k = min(2, len(s))
    signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt[:k]), axis=1)])
    signs[signs == 0] = 1.0
    out[:, :k] = u[:, :k] * s[:k] * signs
    return out


def tsne_2d(vectors, seed=0):
    """t-SNE (scikit-learn) of the unit vectors with cosine distances; perplexity scaled
    down for small sets (it must stay below the number of points)."""
    require_sklearn()
    from sklearn.manifold import TSNE

    x = _unit_rows(vectors)
    n = x.shape[0]
    if n < 5:  # too few points for t-SNE to mean anything
        return pca_2d(vectors)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3.0)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", metric="cosine",
                random_state=seed)
    return tsne.fit_transform(x)


def project_2d(vectors, method="pca", seed=0):
    if method == "pca":
        return pca_2d(vectors)
    if method == "tsne":
        return tsne_2d(vectors, seed=seed)
    raise ValueError(f"method must be 'pca' or 'tsne', not {method!r}")


def _overlaps(box, placed):
    if not placed:
        return False
    p = np.asarray(placed)
    return bool(np.any((box[0] < p[:, 2]) & (p[:, 0] < box[2])
                       & (box[1] < p[:, 3]) & (p[:, 1] < box[3])))


def place_labels(points, extents, priority, gap, marker=None):
    """Lower-left corners for labels of size `extents` (data units) `gap` away from `points`
    (one (x, y) gap for all, or one per label),
    so that labels do not cover each other. Greedy, priority labels first: each takes
    the first free spot among right, left, above, below, then further up or down
    (falling back to the right of its point when all are taken). With `marker` (the
    (x, y) half-size of a dot, data units) labels also avoid covering the points."""
    n = len(points)
    order = sorted(range(n), key=lambda i: (not priority[i], i))
    anchors = np.array(points, dtype=np.float64)
    gaps = np.broadcast_to(np.asarray(gap, dtype=np.float64), (n, 2))
    placed = []
    if marker is not None:
        mx, my = marker
        placed = [(x - mx, y - my, x + mx, y + my) for x, y in np.asarray(points).tolist()]
    for i in order:
        (x, y), (w, h), (gx, gy) = points[i], extents[i], gaps[i]
        spots = [(x + gx, y - h / 2), (x - gx - w, y - h / 2),
                 (x - w / 2, y + gy), (x - w / 2, y - gy - h)]
        for k in range(1, 6):
            spots += [(x + gx, y - h / 2 + k * h), (x + gx, y - h / 2 - k * h),
                      (x - gx - w, y - h / 2 + k * h), (x - gx - w, y - h / 2 - k * h)]
        for sx, sy in spots:
            if not _overlaps((sx, sy, sx + w, sy + h), placed):
                break
        else:
            sx, sy = spots[0]
        anchors[i] = (sx, sy)
        placed.append((sx, sy, sx + w, sy + h))
    return anchors


def _image_format(path):
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in _IMAGE_FORMATS:
        raise ValueError(f"{path}: unknown image type {ext!r}; use one of "
                         + ", ".join("." + e for e in _IMAGE_FORMATS))
    return "jpeg" if ext == "jpg" else ext


def plot_neighbourhoods(kv, words, output, neighbours=10, method="pca", title=None, seed=0,
                        label=str, restrict_vocab=None, dpi=150):
    """Draw `words` and their `neighbours` nearest words on a 2-D map and save it to
    `output` (format from the extension: .png, .svg, .pdf, .jpg), atomically.
    `label` turns a key into the text drawn. Returns the (n, 2) coordinates."""
    require_matplotlib()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from w2v._io import atomic_write

    fmt = _image_format(output)
    keys, group, is_query = neighbourhoods(kv, words, neighbours, restrict_vocab)
    coords = project_2d(np.stack([kv.get_vector(k) for k in keys]), method=method, seed=seed)

    # No pyplot: a Figure with its own canvas leaves matplotlib's global state alone.
    fig = Figure(figsize=(11, 8.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    n_groups = int(group.max()) + 1
    palette = matplotlib.colormaps["tab10" if n_groups <= 10 else "tab20"]
    colors = [palette(g % palette.N) for g in range(n_groups)]
    for g in range(n_groups):
        sel = (group == g) & ~is_query
        ax.scatter(coords[sel, 0], coords[sel, 1], s=22, color=colors[g], alpha=0.75,
                   edgecolors="none", zorder=2)
        q = np.flatnonzero((group == g) & is_query)
        ax.scatter(coords[q, 0], coords[q, 1], s=160, marker="*", color=colors[g],
                   edgecolors="black", linewidths=0.6, zorder=3, label=label(keys[q[0]]))
    ax.margins(0.1)
    ax.set_xticks([])
    ax.set_yticks([])
    name = "PCA" if method == "pca" else "t-SNE"
    ax.set_title(title or f"Nearest neighbours ({name} of the unit vectors, "
                          f"{len(keys)} words)", fontsize=13)
    ax.legend(loc="best", fontsize=10, framealpha=0.85, title="query word")
    fig.tight_layout()

    # Label sizes in data units from the axes' size on the page (no renderer needed);
    # a text of n characters at s points is about 0.6 n s wide and 1.2 s tall.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    box = ax.get_position()
    per_pt = np.array([(x1 - x0) / (box.width * fig.get_figwidth() * 72),
                       (y1 - y0) / (box.height * fig.get_figheight() * 72)])
    texts = [label(k) for k in keys]
    sizes = np.where(is_query, 12.0, 9.0)
    extents = np.column_stack([[0.6 * len(t) for t in texts], np.full(len(texts), 1.2)]) \
        * sizes[:, None] * per_pt
    # stars are drawn bigger than dots: their labels keep further away
    gaps = np.where(is_query, 9.0, 4.0)[:, None] * per_pt
    anchors = place_labels(coords, extents, is_query, gaps, marker=2.5 * per_pt)
    for i, text in enumerate(texts):
        ax.text(anchors[i, 0], anchors[i, 1], text, fontsize=sizes[i], va="bottom", ha="left",
                fontweight="bold" if is_query[i] else "normal",
                color="black" if is_query[i] else colors[group[i]],
                zorder=4 if is_query[i] else 3)
        if np.any(np.abs(anchors[i] + extents[i] / 2 - coords[i]) > 1.5 * extents[i]):
            # a label pushed away from its point gets a thin leader line
            ax.plot([coords[i, 0], anchors[i, 0]], [coords[i, 1], anchors[i, 1] + extents[i, 1] / 2],
                    color=colors[group[i]], linewidth=0.5, alpha=0.6, zorder=1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    with atomic_write(output, "wb") as f:
        f.write(buf.getvalue())
    return coords
