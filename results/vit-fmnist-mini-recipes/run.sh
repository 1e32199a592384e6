#!/usr/bin/env bash
# usage: run.sh NAME SEED GAMMA [train options...]; appends a line to /tmp/e2e-runs/table.tsv
set -u
name=$1 seed=$2 gamma=$3; shift 3
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
dir=/tmp/e2e-runs/$name-s$seed-g$gamma
rm -rf "$dir"
t0=$(date +%s)
cd /tmp/e2e-exp && nice -n 5 ./dropit train --model vit-fmnist --dataset fashion-mnist-mini --threads 1 --seed $seed --dropit-gamma $gamma --out "$dir" "$@" > "$dir.log" 2>&1
rc=$?
t1=$(date +%s)
acc=$(grep -o '"test_acc":[0-9.]*' "$dir/result.json" 2>/dev/null | cut -d: -f2)
train_s=$(grep -o '"seconds":[0-9.]*' "$dir/result.json" 2>/dev/null | cut -d: -f2)
epochs=$(tr '\r' '\n' < "$dir.log" | grep '^epoch .*test acc' | sed 's/.*test acc \([0-9.]*%\).*/\1/' | tr '\n' ' ')
printf '%s\t%s\t%s\t%s\t%s\t%s\trc=%s\t%s\t%s\n' "$name" "$seed" "$gamma" "$acc" "$((t1-t0))" "$train_s" "$rc" "$*" "$epochs" >> /tmp/e2e-runs/table.tsv
