/* The configuration table of fedvssl pretrain. */
#include <limits.h>
#include <string.h>

#include "pretrain_config.h"

int pretrain_config_keys(PretrainArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &a->data_dir, "data/ucf101", NULL, 0, 0, "dataset folder (zips/, annotations/)"},
        {"partition_dir", CFG_STR, &a->partition_dir, "annotations/client_distribution", NULL, 0, 0,
         "client_dist<N>.json folder, relative to data_dir unless absolute"},
        {"pool_size", CFG_INT, &a->pool_size, "5", NULL, 1, INT_MAX, "number of clients"},
        {"rounds", CFG_INT, &a->rounds, "20", NULL, 1, INT_MAX, "federated rounds"},
        {"seed", CFG_INT, &a->seed, "7", NULL, 0, INT_MAX, "seed (initialisation, data order, client sampling)"},
        {"strategy.mix_coeff", CFG_FLOAT, &a->mix, "0.9", NULL, 0, 1,
         "alpha: weight of the loss-based aggregate (fedvssl); of FedAvg in compat=flower"},
        {"strategy.swbeta", CFG_INT, &a->swbeta, "1", NULL, 0, 1, "beta: 1 = 0.5 moving average with the previous round"},
        {"strategy.fraction_fit", CFG_FLOAT, &a->fraction, "1.0", NULL, 0, 1, "fraction of the pool sampled per round"},
        {"strategy.min_fit_clients", CFG_INT, &a->min_fit, "5", NULL, 1, INT_MAX,
         "clients per round at least; fewer results stop the run"},
        {"strategy.min_available_clients", CFG_INT, &a->min_avail, "5", NULL, 1, INT_MAX, "clients the pool must have"},
        {"strategy.fedavg", CFG_BOOL, &a->fedavg, "false", NULL, 0, 0, "plain FedAvg (num_examples weights)"},
        {"strategy.compat", CFG_ENUM, &a->compat, "none", "none|flower", 0, 0,
         "flower: the Flower baseline byte for byte (list concatenation, 252-entry files)"},
        {"optimizer.lr", CFG_FLOAT, &a->lr, "0.01", NULL, 0, 1e3, "SGD learning rate (constant in FL)"},
        {"optimizer.momentum", CFG_FLOAT, &a->momentum, "0.9", NULL, 0, 1, "SGD momentum (reset every round)"},
        {"optimizer.weight_decay", CFG_FLOAT, &a->wd, "0.0001", NULL, 0, 1, "SGD weight decay"},
        {"optimizer.clip", CFG_FLOAT, &a->clip, "40", NULL, 0, 1e9, "L2 gradient clip (0 = none)"},
        {"data.batch", CFG_INT, &a->batch, "4", NULL, 1, 4096, "clips per step"},
        {"data.threads", CFG_INT, &a->threads, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"},
        {"data.reseed_each_round", CFG_BOOL, &a->reseed, "true", NULL, 0, 0,
         "true: the same augmentation stream every round (the reference); false: a fresh one per round and client"},
        {"data.fast_decode", CFG_BOOL, &a->fast_decode, "false", NULL, 0, 0,
         "decode JPEGs DCT-scaled (faster, pixels differ from the reference)"},
        {"data.max_bad_fraction", CFG_FLOAT, &a->max_bad, "0.01", NULL, 0, 1,
         "unreadable samples (damaged frame packs) are skipped up to this fraction of the list; more stop the run"},
        {"data.crop", CFG_INT, &a->crop, "112", NULL, 32, 512,
         "clip side in pixels (112 = the reference; smaller scales every size of the pipeline, for small runs)"},
        {"eval.batches", CFG_INT, &a->eval_batches, "5", NULL, 0, INT_MAX,
         "after each client's fit, its CtP loss on this many batches of held-out videos (no update, BN in eval "
         "mode) beside the loss of predicting zero motion: whether the pretext task is learned (0 = off)"},
        {"eval.list", CFG_STR, &a->eval_list, "annotations/test_split_1.json", NULL, 0, 0,
         "the held-out videos (their labels are not used), relative to data_dir unless absolute"},
        {"checkpoint.format", CFG_ENUM, &a->ckpt_format, "auto", "auto|native|flower|both", 0, 0,
         "files of a kept round: native round-<r>.npz, flower = the baseline's round-<r>-weights.array.npz, or both; "
         "auto = native (both with strategy.compat=flower). The newest round always has its native file (resume)"},
        {"checkpoint.keep_last", CFG_INT, &a->keep_last, "1", NULL, 1, INT_MAX, "the newest rounds whose files are kept"},
        {"checkpoint.keep_every", CFG_INT, &a->keep_every, "10", NULL, 0, INT_MAX,
         "also keep every k-th round's files (0 = none); other rounds' files are deleted once a newer round is written"},
        {"max_iters", CFG_INT, &a->max_iters, "0", NULL, 0, INT_MAX, "local iterations per round (0 = one epoch)"},
        {"log_interval", CFG_INT, &a->log_interval, "10", NULL, 1, INT_MAX, "iterations per log record"},
        {"transport", CFG_ENUM, &a->transport, "inproc", "inproc|mpi", 0, 0,
         "inproc: one process; mpi: mpirun -np 1+P, server on rank 0"},
        {"round_timeout", CFG_FLOAT, &a->round_timeout, "0", NULL, 0, 1e9, "seconds a client may take (0 = no limit)"},
        {"device", CFG_STR, &a->device, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"},
        {"precision", CFG_ENUM, &a->precision, "fp32", "fp32|tf32", 0, 0, "CUDA math precision"},
        {"out", CFG_STR, &a->out, "", NULL, 0, 0, "run folder (default outputs/<date>/<time>)"},
        {"resume", CFG_STR, &a->resume, "", NULL, 0, 0, "run folder to continue from its last complete round"},
        {"allow_changes", CFG_BOOL, &a->allow_changes, "false", NULL, 0, 0,
         "continue a run (resume=, or out= of a run folder) with settings other than its own; its earlier "
         "config.yaml is kept beside the new one"},
        {"trace_dir", CFG_STR, &a->trace_dir, "", NULL, 0, 0,
         "write every CtP step's batch, loss and gradient norm under this folder (round-<r>/client-<c>/), for the "
         "PyTorch control bench/ctp_control.py; empty = off"},
        {"tensorboard", CFG_BOOL, &a->tensorboard, "true", NULL, 0, 0,
         "mirror metrics.jsonl as TensorBoard scalars in <run>/tf_logs (loss, held-out loss, lr, per step and round)"},
        {"quiet", CFG_BOOL, &a->quiet, "false", NULL, 0, 0, "no progress output"},
        /* the Flower baseline's conf/base.yaml loads as it is: these keys have no meaning here */
        {"exp_name", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "the baseline's results folder; here <run>/fedvssl_results"},
        {"cfg_path_pretrain", CFG_IGNORED, NULL, NULL, NULL, 0, 0,
         "the mmcv CtP config; its settings are built in (data.*, optimizer.*)"},
        {"strategy._target_", CFG_IGNORED, NULL, NULL, NULL, 0, 0,
         "the Python strategy class; here strategy.fedavg and strategy.compat choose"},
        {"strategy.base_work_dir", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "set at run time; here the run folder"},
        {"client_resources.num_gpus", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's per-client GPUs; here device="},
        {"client_resources.num_cpus", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's per-client CPUs; here data.threads"},
        {"client_resources.include_dashboard", CFG_IGNORED, NULL, NULL, NULL, 0, 0, "Ray's dashboard; no Ray here"},
        {"fault.kind", CFG_ENUM, &a->fault, "none", "none|error|nan|slow", 0, 0,
         "fault injection (tests): a client fails, diverges, or first sleeps fault.seconds"},
        {"fault.client", CFG_INT, &a->fault_client, "0", NULL, 0, INT_MAX, "1-based client the fault hits (0 = all)"},
        {"fault.round", CFG_INT, &a->fault_round, "0", NULL, 0, INT_MAX, "round the fault hits (0 = all)"},
        {"fault.seconds", CFG_FLOAT, &a->fault_seconds, "0", NULL, 0, 1e6, "how long a slow client sleeps"},
    };
    int n = (int)(sizeof keys / sizeof *keys);
    if (k) memcpy(k, keys, sizeof keys);
    return n;
}

