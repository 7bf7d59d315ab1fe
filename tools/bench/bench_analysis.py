#!/usr/bin/python3
"""Analysis benchmark: ours (`loce bench analysis`) against scikit-learn on the same machine and
the same LoCE-like vectors: a GMM with one full-covariance component per concept, then every
Table 1 metric (intra/inter distances, separability, silhouette, homogeneity, completeness,
V-measure, ARI, NMI, Hungarian error rate). Prints both timings and their ratio.

    /usr/bin/python3 tools/bench/bench_analysis.py --loce build/loce [--n 20000] [--dim 1024]
        [--concepts 5] [--threads 2] [--mixed-precision] [--skip-sklearn] [--device cpu]
        [--sklearn-own-settings]

scikit-learn is optional: without it (or with --skip-sklearn) only our timings are printed, and
the script says so. For scale: scikit-learn 1.2 on a 2-core CPU took 684 s at 20 000 x 1024
(GMM 336 s, silhouette 348 s).

BLAS matters as much as the algorithms: numpy's OpenBLAS on the 2-core VMs here falls back to
SSE3 ("Prescott") kernels unless OPENBLAS_CORETYPE is set, and malloc settings decide how much of
the time goes to page faults. `loce` gives itself better settings (README, "CPU speed"); the
script starts itself again with the same ones (`loce bench settings`) before timing
scikit-learn, so that both run alike, and prints them. --sklearn-own-settings times
scikit-learn with the environment as it is instead.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def run_ours(a, path, mixed):
    cmd = [a.loce, "--threads", str(a.threads), "--device", a.device, "--log-level", "warn",
           "bench", "analysis", "--json", "--n", str(a.n), "--dim", str(a.dim),
           "--concepts", str(a.concepts)]
    cmd += ["--in", path] if os.path.exists(path) else ["--save", path]
    if mixed:
        cmd.append("--mixed-precision")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_sklearn(path):
    import h5py
    import scipy.optimize
    from sklearn import metrics
    from sklearn.mixture import GaussianMixture
    with h5py.File(path, "r") as f:
        X = f["loce/vectors"][()]
        _, y = np.unique(f["loce/concept"][()], return_inverse=True)
    k = y.max() + 1
    t0 = time.perf_counter()
    gm = GaussianMixture(n_components=k, covariance_type="full", random_state=0).fit(X)
    pred = gm.predict(X)
    t_gmm = time.perf_counter() - t0
    t0 = time.perf_counter()
    sil = metrics.silhouette_score(X, y)
    t_sil = time.perf_counter() - t0
    t0 = time.perf_counter()
    intra = [metrics.pairwise_distances(X[y == c]).sum() / ((y == c).sum() * ((y == c).sum() - 1))
             for c in range(k)]
    cent = np.stack([X[y == c].mean(0) for c in range(k)])
    inter = metrics.pairwise_distances(cent)[np.triu_indices(k, 1)].mean()
    h, c, v = metrics.homogeneity_completeness_v_measure(y, pred)
    ari = metrics.adjusted_rand_score(y, pred)
    nmi = metrics.normalized_mutual_info_score(y, pred)
    cont = metrics.cluster.contingency_matrix(y, pred)
    r, cc = scipy.optimize.linear_sum_assignment(-cont)
    err = 1 - cont[r, cc].sum() / len(y)
    t_rest = time.perf_counter() - t0
    return dict(gmm_s=t_gmm, silhouette_s=t_sil, other_metrics_s=t_rest,
                total_s=t_gmm + t_sil + t_rest, gmm_n_iter=int(gm.n_iter_),
                gmm_log_likelihood=float(gm.score(X)), silhouette=float(sil), ari=float(ari),
                separability=float(inter / np.mean(intra)), error_rate=float(err))


def cpu_settings(loce, in_force):
    """The CPU settings as KEY=VALUE lines (`loce bench settings`): loce's own or, with in_force,
    those of this environment (LOCE_CPU_TUNING=0: loce then adds nothing to what is set)."""
    env = dict(os.environ, LOCE_CPU_TUNING="0") if in_force else None
    out = subprocess.run([loce, "--log-level", "warn", "bench", "settings"], check=True,
                         capture_output=True, text=True, env=env).stdout
    return [line for line in out.splitlines() if "=" in line]


def adopt_loce_settings(loce):
    """Starts this script again with loce's CPU settings (read at process start or library load,
    so they cannot be changed in place); returns at once when they are in force."""
    if os.environ.get("LOCE_BENCH_SETTINGS_ADOPTED"):
        return
    env = dict(os.environ, LOCE_BENCH_SETTINGS_ADOPTED="1")
    env.update(line.split("=", 1) for line in cpu_settings(loce, in_force=False))
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loce", required=True, help="the loce binary")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--concepts", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--mixed-precision", action="store_true", help="also time our mixed-precision path")
    ap.add_argument("--skip-sklearn", action="store_true")
    ap.add_argument("--sklearn-own-settings", action="store_true",
                    help="time scikit-learn with this environment, not loce's CPU settings")
    a = ap.parse_args()
    if not a.sklearn_own_settings:
        adopt_loce_settings(a.loce)
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench_loce.h5")
        rows = [("ours float64", run_ours(a, path, False))]
        if a.mixed_precision:
            rows.append(("ours mixed", run_ours(a, path, True)))
        sk = None
        if a.skip_sklearn:
            print("scikit-learn skipped (--skip-sklearn)")
        else:
            try:
                import sklearn
                blas = "unknown BLAS"
                try:
                    import threadpoolctl
                    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} kernels, {i['num_threads']} threads"
                                     for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas")
                except ImportError:
                    pass
                settings = " ".join(cpu_settings(a.loce, in_force=True)) or "none"
                print(f"scikit-learn {sklearn.__version__} ({blas}; settings: {settings}): running "
                      "(this can take minutes) ...", flush=True)
                sk = run_sklearn(path)
            except ImportError:
                print("scikit-learn is not installed: only our timings (apt-get install python3-sklearn)")
    print(f"\nGMM (k={a.concepts}, full) + all metrics on {a.n} x {a.dim}, {a.threads} thread(s), device {a.device}")
    print(f"{'':16s} {'GMM s':>9s} {'metrics s':>10s} {'total s':>9s} {'iters':>6s} {'mean LL':>12s} {'silhouette':>10s} {'ARI':>6s}")
    for name, r in rows:
        print(f"{name:16s} {r['gmm_s']:9.2f} {r['distances_s']:10.2f} {r['total_s']:9.2f} {r['gmm_n_iter']:6d} "
              f"{r['gmm_log_likelihood']:12.4f} {r['silhouette']:10.6f} {r['ari']:6.3f}")
    if sk:
        print(f"{'scikit-learn':16s} {sk['gmm_s']:9.2f} {sk['silhouette_s'] + sk['other_metrics_s']:10.2f} "
              f"{sk['total_s']:9.2f} {sk['gmm_n_iter']:6d} {sk['gmm_log_likelihood']:12.4f} {sk['silhouette']:10.6f} {sk['ari']:6.3f}")
        for name, r in rows:
            print(f"speed-up of {name} over scikit-learn: total {sk['total_s'] / r['total_s']:.1f}x "
                  f"(GMM {sk['gmm_s'] / r['gmm_s']:.1f}x, metrics "
                  f"{(sk['silhouette_s'] + sk['other_metrics_s']) / r['distances_s']:.1f}x)")


if __name__ == "__main__":
    main()
