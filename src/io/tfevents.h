/* TensorBoard event files: what mmcv's TensorboardLoggerHook and Flower users open. A file
 * <dir>/events.out.tfevents.<seconds>.<host> of TFRecord records (length, masked CRC-32C of it, data, masked
 * CRC-32C of the data), each an Event protocol buffer: the first holds file_version "brain.Event:2", the others
 * one scalar (Summary.Value: tag, simple_value) at a step. Written with the standard protobuf wire encoding by
 * hand (no protobuf library), flushed per record so that a live TensorBoard sees a run as it goes. */
#ifndef FEDVSSL_TFEVENTS_H
#define FEDVSSL_TFEVENTS_H
#include <stddef.h>
#include <stdint.h>

typedef struct TfEvents TfEvents;

/* Creates dir (and parents) and a new event file in it; NULL with err set on failure. */
TfEvents *tfevents_open(const char *dir, char *err, size_t errlen);
/* One scalar; returns 0, or -1 when the write failed (the file is then left as it is). */
int tfevents_scalar(TfEvents *w, const char *tag, int64_t step, double value);
/* Closes; returns 0, or -1 when anything written was lost. NULL is accepted. */
int tfevents_close(TfEvents *w);
const char *tfevents_path(const TfEvents *w);

/* CRC-32C (Castagnoli), as TFRecord uses, and its masked form. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
uint32_t tfrecord_mask(uint32_t crc);

#endif
