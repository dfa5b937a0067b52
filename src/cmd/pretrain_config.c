/* The configuration table of fedvssl pretrain. */
#include <limits.h>
#include <string.h>

#include "common_keys.h"
#include "pretrain_config.h"

int pretrain_config_keys(PretrainArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &a->c.data_dir, "data/ucf101", NULL, 0, 0, "dataset folder (zips/, annotations/)"},
        {"partition_dir", CFG_STR, &a->c.partition_dir, "annotations/client_distribution", NULL, 0, 0,
         "client_dist<N>.json folder, relative to data_dir unless absolute"},
        {"pool_size", CFG_INT, &a->c.pool_size, "5", NULL, 1, INT_MAX, "number of clients"},
        {"rounds", CFG_INT, &a->c.rounds, "20", NULL, 1, INT_MAX, "federated rounds"},
        {"seed", CFG_INT, &a->c.seed, "7", NULL, 0, INT_MAX, "seed (initialisation, data order, client sampling)"},
        {"strategy.mix_coeff", CFG_FLOAT, &a->mix, "0.9", NULL, 0, 1,
         "alpha: weight of the loss-based aggregate (fedvssl); of FedAvg in compat=flower"},
        {"strategy.swbeta", CFG_INT, &a->swbeta, "1", NULL, 0, 1, "beta: 1 = 0.5 moving average with the previous round"},
        {"strategy.fraction_fit", CFG_FLOAT, &a->c.fraction_fit, "1.0", NULL, 0, 1, "fraction of the pool sampled per round"},
        {"strategy.min_fit_clients", CFG_INT, &a->c.min_fit_clients, "5", NULL, 1, INT_MAX,
         "clients per round at least; fewer results stop the run"},
        {"strategy.min_available_clients", CFG_INT, &a->c.min_available_clients, "5", NULL, 1, INT_MAX, "clients the pool must have"},
        {"strategy.fedavg", CFG_BOOL, &a->fedavg, "false", NULL, 0, 0, "plain FedAvg (num_examples weights)"},
        {"strategy.compat", CFG_ENUM, &a->compat, "none", "none|flower", 0, 0,
         "flower: the Flower baseline byte for byte (list concatenation, 252-entry files)"},
        {"optimizer.lr", CFG_FLOAT, &a->lr, "0.01", NULL, 0, 1e3, "SGD learning rate (constant in FL)"},
        {"optimizer.momentum", CFG_FLOAT, &a->momentum, "0.9", NULL, 0, 1, "SGD momentum (reset every round)"},
        {"optimizer.weight_decay", CFG_FLOAT, &a->wd, "0.0001", NULL, 0, 1, "SGD weight decay"},
        {"optimizer.clip", CFG_FLOAT, &a->clip, "40", NULL, 0, 1e9, "L2 gradient clip (0 = none)"},
        {"data.batch", CFG_INT, &a->c.batch, "4", NULL, 1, 4096, "clips per step"},
        CFGK_THREADS("data.threads", &a->c.threads),
        {"data.reseed_each_round", CFG_BOOL, &a->c.reseed_each_round, "true", NULL, 0, 0,
         "true: the same augmentation stream every round (the reference); false: a fresh one per round and client"},
        CFGK_FAST_DECODE(&a->c.fast_decode),
        CFGK_MAX_BAD(&a->c.max_bad_fraction),
        CFGK_CROP_TRAIN(&a->c.crop),
        {"data.patch", CFG_ENUM, &a->patch, "video", "video|solid", 0, 0,
         "CtP patches: video = crops of the clip itself (the reference); solid = one saturated colour each, plainly "
         "visible wherever they move (not the reference: a diagnostic of whether the task can be learned at all)"},
        {"model.head_init", CFG_ENUM, &a->head_init, "reference", "reference|fan_in", 0, 0,
         "the CtP head's linear layers: reference = N(0, 0.001^2) (the original; the backbone's gradient starts "
         "~1e-5 of its weights); fan_in = N(0, 1/fan_in), which opens that gradient from the first step (not the "
         "reference: for small budgets)"},
        {"eval.batches", CFG_INT, &a->c.eval_batches, "5", NULL, 0, INT_MAX,
         "after each client's fit, its CtP loss on this many batches of held-out videos (no update, BN in eval "
         "mode) beside the loss of predicting zero motion: whether the pretext task is learned (0 = off)"},
        {"eval.list", CFG_STR, &a->c.eval_list, "annotations/test_split_1.json", NULL, 0, 0,
         "the held-out videos (their labels are not used), relative to data_dir unless absolute"},
        {"checkpoint.format", CFG_ENUM, &a->ckpt_format, "auto", "auto|native|flower|both", 0, 0,
         "files of a kept round: native round-<r>.npz, flower = the baseline's round-<r>-weights.array.npz, or both; "
         "auto = native (both with strategy.compat=flower). The newest round always has its native file (resume)"},
        {"checkpoint.keep_last", CFG_INT, &a->c.keep_last, "1", NULL, 1, INT_MAX, "the newest rounds whose files are kept"},
        {"checkpoint.keep_every", CFG_INT, &a->c.keep_every, "10", NULL, 0, INT_MAX,
         "also keep every k-th round's files (0 = none); other rounds' files are deleted once a newer round is written"},
        {"max_iters", CFG_INT, &a->c.max_iters, "0", NULL, 0, INT_MAX, "local iterations per round (0 = one epoch)"},
        {"log_interval", CFG_INT, &a->c.log_interval, "10", NULL, 1, INT_MAX, "iterations per log record"},
        {"transport", CFG_ENUM, &a->transport, "inproc", "inproc|mpi", 0, 0,
         "inproc: one process; mpi: mpirun -np 1+P, server on rank 0"},
        {"parallel_clients", CFG_INT, &a->c.parallel_clients, "1", NULL, 1, 1024,
         "inproc: clients fitted side by side in one process, each with its own model (and CUDA stream), sharing "
         "data.threads; results the same as one after another (bit for bit on the CPU at the same threads per client)"},
        {"round_timeout", CFG_FLOAT, &a->c.round_timeout, "0", NULL, 0, 1e9, "seconds a client may take (0 = no limit)"},
        CFGK_DEVICE(&a->c.device),
        CFGK_PRECISION(&a->c.precision),
        {"out", CFG_STR, &a->out, "", NULL, 0, 0, "run folder (default outputs/<date>/<time>)"},
        {"resume", CFG_STR, &a->resume, "", NULL, 0, 0, "run folder to continue from its last complete round"},
        {"allow_changes", CFG_BOOL, &a->allow_changes, "false", NULL, 0, 0,
         "continue a run (resume=, or out= of a run folder) with settings other than its own; its earlier "
         "config.yaml is kept beside the new one"},
        {"trace_dir", CFG_STR, &a->c.trace_dir, "", NULL, 0, 0,
         "write every CtP step's batch, loss and gradient norm under this folder (round-<r>/client-<c>/), for the "
         "PyTorch control bench/ctp_control.py; empty = off"},
        {"tensorboard", CFG_BOOL, &a->c.tensorboard, "true", NULL, 0, 0,
         "mirror metrics.jsonl as TensorBoard scalars in <run>/tf_logs (loss, held-out loss, lr, per step and round)"},
        CFGK_QUIET(&a->c.quiet),
        /* the Flower baseline's conf/base.yaml loads as it is: these keys have no meaning here */
        {"exp_name", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "the baseline's results folder; here <run>/fedvssl_results"},
        {"cfg_path_pretrain", CFG_IGNORED, NULL, NULL, NULL, 0, 0,
         "the mmcv CtP config; its settings are built in (data.*, optimizer.*)"},
        {"strategy._target_", CFG_IGNORED, NULL, NULL, NULL, 0, 0,
         "the Python strategy class; here strategy.fedavg and strategy.compat choose"},
        {"strategy.base_work_dir", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "set at run time; here the run folder"},
        {"client_resources.num_gpus", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's per-client GPUs; here device= and parallel_clients="},
        {"client_resources.num_cpus", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's per-client CPUs; here data.threads"},
        {"client_resources.include_dashboard", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's dashboard; no Ray here"},
        {"fault.kind", CFG_ENUM, &a->c.fault, "none", "none|error|nan|slow", 0, 0,
         "fault injection (tests): a client fails, diverges, or first sleeps fault.seconds"},
        {"fault.client", CFG_INT, &a->c.fault_client, "0", NULL, 0, INT_MAX, "1-based client the fault hits (0 = all)"},
        {"fault.round", CFG_INT, &a->c.fault_round, "0", NULL, 0, INT_MAX, "round the fault hits (0 = all)"},
        {"fault.seconds", CFG_FLOAT, &a->c.fault_seconds, "0", NULL, 0, 1e6, "how long a slow client sleeps"},
    };
    CFG_TABLE_RETURN(keys, k);
}

