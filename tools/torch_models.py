"""PyTorch twins of the fedvssl networks (spec §1-2, §5) with the exact state-dict names and
order of the reference (Appendix A), and fedvssl's dropout masks. Used by the golden generator, the benchmark and
the long-run controls."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detgen  # noqa: E402


class ConvModule(nn.Module):  # pyvrl wraps each conv in a container whose child is `conv`
    def __init__(self, cin, cout, k, s, p):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, k, s, p, bias=False)

    def forward(self, x):
        return self.conv(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, spatial_down):
        super().__init__()
        self.conv1 = ConvModule(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm3d(cout, eps=1e-3)
        self.conv2 = ConvModule(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm3d(cout, eps=1e-3)
        self.has_down = spatial_down or cin != cout
        if self.has_down:
            self.downsample = ConvModule(cin, cout, 1, stride, 0)
            self.downsample_bn = nn.BatchNorm3d(cout, eps=1e-3)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = self.downsample_bn(self.downsample(x)) if self.has_down else x
        return F.relu(y + s)


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False)
        self.bn = nn.BatchNorm3d(64, eps=1e-3)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class R3D18(nn.Module):
    def __init__(self, pretrain_layout):
        super().__init__()
        self.stem = Stem()
        cin = 64
        for l, cout in enumerate([64, 128, 256, 512]):
            blocks = []
            for i in range(2):
                ts = 2 if (i == 0 and l > 0) else 1
                spatial = i == 0 and l > 0 and not (l == 3 and pretrain_layout)
                ss = 2 if spatial else 1
                blocks.append(BasicBlock(cin, cout, (ts, ss, ss), spatial))
                cin = cout
            setattr(self, f"layer{l + 1}", nn.Sequential(*blocks))

    def forward(self, x):
        x = self.stem(x)
        for l in range(1, 5):
            x = getattr(self, f"layer{l}")(x)
        return x


class CtPHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.temporal_conv = nn.Conv3d(512, 512, (2, 1, 1))
        self.fc1 = nn.Linear(512 * 25, 512)
        self.pred_head = nn.Linear(512, 64)

    def forward(self, feat, rois):
        x = F.relu(self.temporal_conv(feat)).squeeze(2)
        dt = torch.float32 if x.dtype in (torch.bfloat16, torch.float16) else x.dtype  # RoIAlign in fp32 under autocast
        x = roi_align(x.to(dt), rois.to(dt), (5, 5), spatial_scale=0.125, sampling_ratio=2, aligned=True)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.pred_head(x)


def ctp_loss(pred, trajs, weights=None):
    """Spec §2.4: targets relative to the frame-0 box, smooth-L1 (beta 1), split ctr/size."""
    B, NT, T, _ = trajs.shape
    boxes = trajs.reshape(B * NT, T, 4)
    r = boxes[:, :1]
    rc = (r[..., :2] + r[..., 2:]) / 2
    rs = (r[..., 2:] - r[..., :2]).clamp(min=1)
    gc = (boxes[..., :2] + boxes[..., 2:]) / 2
    gs = (boxes[..., 2:] - boxes[..., :2]).clamp(min=1)
    target = torch.cat([(gc - rc) / 0.8, (torch.log(gs) - torch.log(rs)) / 0.04], -1)
    w = torch.ones(B * NT, T, 1, dtype=pred.dtype, device=pred.device) if weights is None else weights.reshape(B * NT, T, 1)
    count = max(1.0, float(w.sum()))
    l = F.smooth_l1_loss(pred.reshape(B * NT, T, 4), target, reduction="none", beta=1.0) * w
    return l[..., :2].sum() / count, l[..., 2:].sum() / count


class CtP(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = R3D18(True)
        self.head = CtPHead()

    def forward(self, imgs, trajs, weights=None):
        feat = self.backbone(imgs)
        B = imgs.shape[0]
        idx = torch.arange(B, dtype=imgs.dtype, device=imgs.device).repeat_interleave(3)[:, None]
        rois = torch.cat([idx, trajs[:, :, 0].reshape(B * 3, 4)], 1)
        pred = self.head(feat, rois)
        lc, ls = ctp_loss(pred, trajs, weights)
        return pred, lc, ls


class ClsHead(nn.Module):
    def __init__(self, classes, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc_cls = nn.Linear(512, classes)

    def forward(self, x):
        return self.fc_cls(self.dropout(x.flatten(1)))


class TSN(nn.Module):
    def __init__(self, classes=101, dropout=0.5):
        super().__init__()
        self.backbone = R3D18(False)
        self.st_module = nn.AvgPool3d((2, 7, 7), 1)
        self.cls_head = ClsHead(classes, dropout)

    def forward(self, imgs):
        return self.cls_head(self.st_module(self.backbone(imgs)))


GOLD = 0x9E3779B97F4A7C15
M64 = (1 << 64) - 1


def fedvssl_dropout_keep(seed, step, n, p=0.5):
    """fedvssl's dropout mask of training forward `step` (src/model/model.c model_dropout_mask_seed, ops
    dropout_forward): element i kept iff rng_uniform_at(seed + step * GOLD, i) >= p (24-bit uniform, exact in
    float32). PyTorch's own masks come from another generator, so the goldens feed ours to PyTorch."""
    s = (seed + step * GOLD) & M64
    u = (detgen.rng_at(s, np.arange(n, dtype=np.uint64)) >> np.uint64(40)).astype(np.float64) / 16777216.0
    return u >= p


class FixedMaskDropout(torch.nn.Module):
    """Inverted dropout with a given keep mask (x * keep / (1 - p)), as fedvssl's."""
    def __init__(self, p):
        super().__init__()
        self.p, self.keep = p, None

    def forward(self, x):
        return x * self.keep.to(x.dtype).reshape(x.shape) / (1 - self.p)
