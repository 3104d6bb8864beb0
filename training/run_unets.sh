#!/usr/bin/env bash
# After train_vae.py: fine-tune the VAE decoder, train the large UNet (+ text encoder, with the
# caption-reading loss) and, as soon as the text encoder is frozen and exported, the small UNet —
# three processes, one thread each. Then point portrait-small at portrait-large's shared parts
# (export_pair.py) and evaluate.
# Resumable: just rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LARGE_STEPS=${LARGE_STEPS:-3000}
SMALL_STEPS=${SMALL_STEPS:-2000}
DECODER_STEPS=${DECODER_STEPS:-800}
FREEZE_AT=${FREEZE_AT:-2400}
mkdir -p training/logs
decoder=
if [ "$DECODER_STEPS" != 0 ]; then  # DECODER_STEPS=0: run train_vae_decoder.py separately
  $PY training/train_vae_decoder.py --steps "$DECODER_STEPS" >> training/logs/vae_decoder.log 2>&1 &
  decoder=$!
fi
$PY training/train_unet.py --which large --steps "$LARGE_STEPS" --batch 32 --freeze-text-at "$FREEZE_AT" \
    --text-lr-mult 3 --aux-weight 0.1 --ema 0.995 --threads 1 >> training/logs/unet_large.log 2>&1 &
large=$!
until grep -q "text encoder frozen" training/logs/unet_large.log 2>/dev/null \
      || [ -f runs/world/unet_small.ckpt ]; do
  kill -0 $large 2>/dev/null || { echo "large run died"; exit 1; }
  sleep 10
done
$PY training/train_unet.py --which small --steps "$SMALL_STEPS" --batch 32 --threads 1 \
    >> training/logs/unet_small.log 2>&1
wait $large
[ -z "$decoder" ] || wait $decoder
$PY training/export_pair.py
$PY training/evaluate.py >> training/logs/evaluate.log 2>&1
echo done
