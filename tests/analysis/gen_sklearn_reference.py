#!/usr/bin/python3
"""Generates tests/analysis/data/sklearn_reference.h5: small seeded data sets and the values
scikit-learn (and numpy/scipy, for the project's own definitions) computes on them. The C++
tests compare every metric to these values at 1e-6. Run once with Debian's python3 (needs
python3-sklearn, python3-h5py); the output is committed, so tests do not need scikit-learn.

    /usr/bin/python3 tests/analysis/gen_sklearn_reference.py [OUT.h5]
"""
import sys
import h5py
import numpy as np
import scipy.optimize
import sklearn
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters
from sklearn.neighbors import NearestNeighbors

out = sys.argv[1] if len(sys.argv) > 1 else "tests/analysis/data/sklearn_reference.h5"


def contingency(t, p):
    c = np.zeros((t.max() + 1, p.max() + 1))
    np.add.at(c, (t, p), 1)
    return c


def separation(X, y):
    """The project's distance definitions, brute force (src/analysis/concept_separation.h)."""
    C = y.max() + 1
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    n = len(y)
    intra = np.array([D[np.ix_(y == c, y == c)].sum() / ((y == c).sum() * ((y == c).sum() - 1)) for c in range(C)])
    cent = np.stack([X[y == c].mean(0) for c in range(C)])
    CD = np.sqrt(((cent[:, None] - cent[None]) ** 2).sum(-1))
    inter = CD[np.triu_indices(C, 1)].mean()
    # One-vs-rest as the LoCE reference: min distance from a point of c to a point of another concept.
    ovr = np.array([D[np.ix_(y == c, y != c)].min() / intra[c] for c in range(C)])
    Dx = D + np.diag(np.full(n, np.inf))
    near = np.stack([Dx[:, y == c].min(1) for c in range(C)], 1)
    overlap = np.zeros((C, C))
    for i in range(C):
        for j in range(C):
            if i != j:
                overlap[i, j] = np.mean(near[y == i, j] < near[y == i, i])
    nn = NearestNeighbors(n_neighbors=6).fit(X)
    _, idx = nn.kneighbors(X)
    assert (idx[:, 0] == np.arange(n)).all()
    votes = np.stack([np.bincount(y[idx[i, 1:]], minlength=C) for i in range(n)])
    knn = np.mean(votes.argmax(1) == y)
    return intra, inter, inter / intra.mean(), ovr, overlap, knn


with h5py.File(out, "w") as f:
    f.attrs["sklearn_version"] = sklearn.__version__

    # ---- metrics: 4 concepts of uneven size in 8-D, a 5-cluster labelling with 20 % noise
    rng = np.random.default_rng(0)
    sizes = [40, 50, 30, 60]
    centres = rng.normal(0, 3, (4, 8))
    X = np.concatenate([centres[c] + rng.normal(0, 1.5, (s, 8)) for c, s in enumerate(sizes)])
    y = np.concatenate([np.full(s, c) for c, s in enumerate(sizes)])
    pred = y.copy()
    noisy = rng.random(len(y)) < 0.2
    pred[noisy] = rng.integers(0, 5, noisy.sum())
    pred[rng.integers(0, len(y))] = 4  # make sure cluster 4 exists
    g = f.create_group("metrics")
    g["x"], g["labels"], g["clusters"] = X, y.astype(np.int64), pred.astype(np.int64)
    h, c, v = metrics.homogeneity_completeness_v_measure(y, pred)
    g.attrs["homogeneity"], g.attrs["completeness"], g.attrs["v_measure"] = h, c, v
    g.attrs["ari"] = metrics.adjusted_rand_score(y, pred)
    g.attrs["nmi"] = metrics.normalized_mutual_info_score(y, pred)
    g.attrs["silhouette"] = metrics.silhouette_score(X, y)
    g.attrs["silhouette_clusters"] = metrics.silhouette_score(X, pred)
    g["silhouette_samples"] = metrics.silhouette_samples(X, y)
    cont = contingency(y, pred)
    g.attrs["purity"] = cont.max(0).sum() / len(y)
    r, cidx = scipy.optimize.linear_sum_assignment(-cont)
    g.attrs["error_rate"] = 1 - cont[r, cidx].sum() / len(y)
    intra, inter, sep, ovr, overlap, knn = separation(X, y)
    g["intra"], g["one_vs_rest"], g["overlap"] = intra, ovr, overlap
    g.attrs["inter_mean"], g.attrs["separability_ratio"], g.attrs["knn_accuracy"] = inter, sep, knn

    # ---- silhouette with a singleton cluster (its point scores 0)
    Xs = rng.normal(0, 1, (25, 3))
    ys = np.array([0] * 12 + [1] * 12 + [2])
    gs = f.create_group("silhouette_singleton")
    gs["x"], gs["labels"] = Xs, ys.astype(np.int64)
    gs.attrs["silhouette"] = metrics.silhouette_score(Xs, ys)

    # ---- GMM on well-separated blobs (labels must be recovered: ARI 1)
    Xb, yb = make_blobs(n_samples=300, centers=3, n_features=5, cluster_std=0.5,
                        center_box=(-20, 20), random_state=1)
    gb = f.create_group("gmm_separated")
    gb["x"], gb["labels"] = Xb, yb.astype(np.int64)

    # ---- GMM on overlapping blobs from the same initial parameters, per covariance type
    Xo, yo = make_blobs(n_samples=400, centers=3, n_features=4, cluster_std=2.0,
                        center_box=(-4, 4), random_state=3)
    init_idx = np.array([5, 100, 250])
    go = f.create_group("gmm_overlap")
    go["x"], go["init_means"] = Xo, Xo[init_idx]
    go["init_weights"] = np.full(3, 1 / 3)
    for cov in ["full", "diag", "spherical"]:
        if cov == "full":
            c0, p0 = np.stack([np.eye(4)] * 3), np.stack([np.eye(4)] * 3)
        elif cov == "diag":
            c0, p0 = np.ones((3, 4)), np.ones((3, 4))
        else:
            c0, p0 = np.ones(3), np.ones(3)
        gm = GaussianMixture(3, covariance_type=cov, weights_init=np.full(3, 1 / 3),
                             means_init=Xo[init_idx], precisions_init=p0, random_state=0).fit(Xo)
        gc = go.create_group(cov)
        gc["init_covariances"] = c0
        gc["weights"], gc["means"], gc["covariances"] = gm.weights_, gm.means_, gm.covariances_
        gc["predict"] = gm.predict(Xo)
        gc["predict_proba"] = gm.predict_proba(Xo)
        gc.attrs["score"] = gm.score(Xo)
        gc.attrs["lower_bound"] = gm.lower_bound_
        gc.attrs["n_iter"] = gm.n_iter_
        gc.attrs["converged"] = int(gm.converged_)
        gc.attrs["bic"], gc.attrs["aic"] = gm.bic(Xo), gm.aic(Xo)

    # ---- PCA
    Xp = rng.normal(0, 1, (100, 6)) @ rng.normal(0, 1, (6, 6)) + rng.normal(0, 5, 6)
    pca = PCA(n_components=2, svd_solver="full").fit(Xp)
    gp = f.create_group("pca")
    gp["x"], gp["projection"] = Xp, pca.transform(Xp)
    gp["explained_variance"] = pca.explained_variance_

    # ---- Hungarian: optimal costs of rectangular and square problems
    gh = f.create_group("hungarian")
    for name, shape in [("square", (6, 6)), ("wide", (4, 7)), ("tall", (7, 4))]:
        cost = rng.integers(0, 20, shape).astype(np.float64) + rng.random(shape)
        r, cidx = scipy.optimize.linear_sum_assignment(cost)
        gh[name] = cost
        gh[name].attrs["optimal_cost"] = cost[r, cidx].sum()

    # ---- k-means (Lloyd) from given centres, and the GMM that scikit-learn's init_params="kmeans"
    # starts from its labels (one-hot responsibilities -> weights, means, covariances)
    gk = f.create_group("kmeans")
    gk["x"], gk["init_centres"] = Xo, Xo[init_idx]
    km = KMeans(3, init=Xo[init_idx], n_init=1).fit(Xo)
    gk["labels"], gk["centres"] = km.labels_, km.cluster_centers_
    gk.attrs["n_iter"] = km.n_iter_
    resp = np.eye(3)[km.labels_]
    for cov in ["full", "diag", "spherical"]:
        w, m, c = _estimate_gaussian_parameters(Xo, resp, 1e-6, cov)
        gm = GaussianMixture(3, covariance_type=cov, weights_init=w / len(Xo), means_init=m,
                             precisions_init=np.linalg.inv(c) if cov == "full" else 1 / c,
                             random_state=0).fit(Xo)
        gc = gk.create_group(cov)
        gc["init_weights"], gc["init_means"], gc["init_covariances"] = w / len(Xo), m, c
        gc["means"], gc["predict"] = gm.means_, gm.predict(Xo)
        gc.attrs["score"], gc.attrs["n_iter"] = gm.score(Xo), gm.n_iter_

print("wrote", out)
