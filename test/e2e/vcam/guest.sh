#!/bin/bash
# Runs INSIDE the vcam VM (../shared/vcam-vm/run.sh), from the checkout root, against the real
# v4l2loopback "PortSeg Camera" ($VCAM_VM_DEVICE). Started by test/e2e/vcam.test.ts, which
# asserts on the JSON files this leaves in OUT (a folder inside the checkout, so it comes back).
#   bash test/e2e/vcam/guest.sh OUT [--no-chromium]
set -u
OUT=${1:?usage: guest.sh OUT [--no-chromium]}
CHROMIUM=1
[ "${2:-}" = --no-chromium ] && CHROMIUM=0
DEV=${VCAM_VM_DEVICE:-/dev/video10}
HERE=$(dirname "$0")
mkdir -p "$OUT"
CAP=$(mktemp -d) # raw captures stay in guest RAM: writing them to the 9p share throttles the consumer
now_ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(now_ms)
log() { local ms=$(($(now_ms) - T0)); printf '[guest %4d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"; }
secs_since() { local ms=$(($(now_ms) - $1)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
# The vcam command alone (bundled by the test; starts in seconds under TCG instead of ~50 s);
# step 1 runs the full `node bin/portseg.js` once to prove the real CLI.
SLIM="$OUT/portseg-vcam.mjs"
pv() { node "$SLIM" vcam "$@"; }
# Background producers: node itself must be the background job, so that $P is node's pid and
# SIGTERM reaches the CLI (a backgrounded shell function would be a subshell).
start() { # NAME CLI ARGS...: starts the producer, stdout/stderr to $OUT/NAME.{jsonl,err}; sets P
    local name=$1 cli=$2
    shift 2
    node "$cli" vcam "$@" > "$OUT/$name.jsonl" 2> "$OUT/$name.err" &
    P=$!
}
caps() { v4l2-ctl -d "$DEV" --info 2> /dev/null | sed -n 's/^[[:space:]]*Device Caps[[:space:]]*: //p' | head -n 1; }
has_capture() { local c; c=$(caps); [ -n "$c" ] && (($c & 0x1)); }
output_only() { local c; c=$(caps); [ -n "$c" ] && (($c & 0x2)) && ! (($c & 0x1)); }
wait_capture() { # until a producer is streaming (caps show Video Capture), max $1 s
    local i
    for ((i = 0; i < $1 * 5; i++)); do has_capture && return 0; sleep 0.2; done
    return 1
}
wait_line() { # FILE PATTERN SECONDS: until a line matching PATTERN appears
    local i
    for ((i = 0; i < $3 * 5; i++)); do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.2; done
    return 1
}
alive() { local st; read -r _ _ st _ < "/proc/$1/stat" 2> /dev/null && [ "$st" != Z ]; } # an exited, unreaped child is a zombie
first_frame() { # NAME SECONDS: until producer NAME ($P) prints its "first-frame" event (its first
    # frame is on the device, not the placeholder); prints that JSON line. Fails, saying why, when
    # the producer exits first or the time runs out.
    local i line
    for ((i = 0; i < $2 * 5; i++)); do
        line=$(grep -m 1 '"event":"first-frame"' "$OUT/$1.jsonl" 2> /dev/null) && { echo "$line"; return 0; }
        if ! alive "$P"; then
            log "   FAILED: $1 exited before writing its first frame; $OUT/$1.err: $(tail -c 300 "$OUT/$1.err" 2> /dev/null)" >&2
            return 1
        fi
        sleep 0.2
    done
    log "   FAILED: $1 printed no first-frame event within $2 s; the consumer starts anyway" >&2
    return 1
}
stop_producer() { # PID: SIGTERM (the CLI closes the device cleanly), then wait; sets RC
    kill -TERM "$1" 2> /dev/null
    wait "$1"
    RC=$?
}
json_bool() { if "$@"; then echo true; else echo false; fi; }
# "caps before/after" are recorded for each step: the device must go back to Video Output only
log "device $DEV, caps $(caps), $(v4l2-ctl -d "$DEV" --info | sed -n 's/^[[:space:]]*Card type[[:space:]]*: //p')"
pv --status --json > "$OUT/status.json" 2> "$OUT/status.err"
echo "{\"outputOnlyAtStart\": $(json_bool output_only)}" > "$OUT/start.json"

# --- 1. producer -> V4L2 consumer (v4l2-ctl, mmap streaming): exact counters and colours ------
log "1. portseg vcam --pattern 640x480 YUYV 30 fps -> v4l2-ctl"
start producer1 bin/portseg.js --pattern --size 640x480 --fps 30 --json
P1=$P
streaming=$(json_bool wait_capture 60)
first=$(first_frame producer1 120)
log "   streaming: $streaming (caps $(caps)); ${first:-no first-frame event}"
v4l2-ctl -d "$DEV" --get-fmt-video --get-parm > "$OUT/fmt1.txt" 2>&1
# a second producer while the first streams: must fail with VCAM_BUSY, not hang or corrupt
pv --pattern --size 640x480 --seconds 2 > /dev/null 2> "$OUT/busy.err"
echo "$?" > "$OUT/busy.rc"
ts=$(now_ms)
timeout 60 v4l2-ctl -d "$DEV" --stream-mmap=4 --stream-count=90 --stream-to="$CAP/capture1.yuyv" > /dev/null 2> "$OUT/capture1.err"
echo "{\"rc\": $?, \"seconds\": $(secs_since "$ts")}" > "$OUT/capture1.json"
stop_producer "$P1"; rc=$RC
after=$(json_bool output_only)
log "   producer exit $rc; output-only after close: $after"
node "$HERE/check-frames.mjs" "$CAP/capture1.yuyv" 640 480 > "$OUT/v4l2.json"
echo "{\"streaming\": $streaming, \"firstFrame\": ${first:-null}, \"producerExit\": $rc, \"outputOnlyAfterClose\": $after}" > "$OUT/step1.json"
rm -f "$CAP/capture1.yuyv"

# --- 3. restart: a new producer (another size, another format) finds the device usable ---------
log "3. restart: portseg vcam --pattern 320x240 -> v4l2-ctl"
start producer2 "$SLIM" --pattern --size 320x240 --fps 30 --json
P2=$P
streaming=$(json_bool wait_capture 60)
first=$(first_frame producer2 120)
v4l2-ctl -d "$DEV" --get-fmt-video > "$OUT/fmt2.txt" 2>&1
timeout 60 v4l2-ctl -d "$DEV" --stream-mmap=4 --stream-count=20 --stream-to="$CAP/capture2.yuyv" > /dev/null 2> "$OUT/capture2.err"
stop_producer "$P2"; rc=$RC
after=$(json_bool output_only)
node "$HERE/check-frames.mjs" "$CAP/capture2.yuyv" 320 240 > "$OUT/v4l2-restart.json"
echo "{\"streaming\": $streaming, \"firstFrame\": ${first:-null}, \"producerExit\": $rc, \"outputOnlyAfterClose\": $after}" > "$OUT/step3.json"
rm -f "$CAP/capture2.yuyv"

# --- 4. stall: the producer stops feeding (stays open); consumers keep getting frames at the rate
log "4. stall: --stall-after 20, then read 60 frames"
start producer3 "$SLIM" --pattern --size 640x480 --fps 30 --stall-after 20 --json
P3=$P
streaming=$(json_bool wait_capture 60)
stalled=$(json_bool wait_line "$OUT/producer3.jsonl" '"stalled"' 60)
sleep 1
ts=$(now_ms)
timeout 60 v4l2-ctl -d "$DEV" --stream-mmap=4 --stream-count=60 --stream-to="$CAP/capture3.yuyv" > /dev/null 2> "$OUT/capture3.err"
seconds=$(secs_since "$ts")
stop_producer "$P3"; rc=$RC
node "$HERE/check-frames.mjs" "$CAP/capture3.yuyv" 640 480 > "$OUT/v4l2-stall.json"
echo "{\"streaming\": $streaming, \"stalled\": $stalled, \"producerExit\": $rc, \"captureSeconds\": $seconds, \"frames\": 60}" > "$OUT/step4.json"
rm -f "$CAP/capture3.yuyv"

# --- size change while a consumer holds the old size: no broken stream ------------------------
log "5. size change: 640x480 -> 320x240 at frame 120 while v4l2-ctl reads"
start producer6 "$SLIM" --pattern --size 640x480 --fps 30 --switch-size 120:320x240 --json
P6=$P
streaming=$(json_bool wait_capture 60)
first=$(first_frame producer6 120)
timeout 90 v4l2-ctl -d "$DEV" --stream-mmap=4 --stream-count=240 --stream-to="$CAP/capture6.yuyv" > /dev/null 2> "$OUT/capture6.err"
stop_producer "$P6"; rc=$RC
node "$HERE/check-frames.mjs" "$CAP/capture6.yuyv" 640 480 > "$OUT/v4l2-resize.json"
echo "{\"streaming\": $streaming, \"firstFrame\": ${first:-null}, \"producerExit\": $rc, \"outputOnlyAfterClose\": $(json_bool output_only)}" > "$OUT/step5.json"
rm -f "$CAP/capture6.yuyv"

# --- a clip: portseg vcam --input (sync write path) delivers the clip's pixels -----------------
CLIP=${VCAM_E2E_CLIP:-}
if [ -n "$CLIP" ] && [ -f "$CLIP" ]; then
    log "clip: portseg vcam --input $(basename "$CLIP") --loop"
    start producer5 "$SLIM" --input "$CLIP" --loop --json
    P5=$P
    streaming=$(json_bool wait_capture 60)
    # the CLI may still be reading and converting the clip's first frame: the camera shows the
    # placeholder until then. The consumer starts once the clip is on the device.
    first=$(first_frame producer5 120)
    log "   streaming: $streaming; ${first:-no first-frame event}"
    after_us=$(sed -n 's/.*"monotonicUs":\([0-9]*\).*/\1/p' <<< "$first")
    v4l2-ctl -d "$DEV" --get-fmt-video --get-parm > "$OUT/fmt5.txt" 2>&1
    # --verbose logs each buffer's timestamp (stderr): v4l2loopback 0.12 hands a reader that starts
    # within its first 3 writes the ring from the start, so a buffer written before the first
    # clip frame may still lead. 2 spare frames; the checker drops those stamped before the event.
    timeout 60 v4l2-ctl -d "$DEV" --verbose --stream-mmap=4 --stream-count=17 --stream-to="$CAP/capture5.yuyv" > /dev/null 2> "$OUT/capture5.err"
    stop_producer "$P5"; rc=$RC
    node "$HERE/check-clip.mjs" "$CAP/capture5.yuyv" "$CLIP" --frames 15 ${after_us:+--after-us "$after_us" --buffers "$OUT/capture5.err"} > "$OUT/clip.json"
    echo "{\"streaming\": $streaming, \"firstFrame\": ${first:-null}, \"producerExit\": $rc}" > "$OUT/step-clip.json"
    rm -f "$CAP/capture5.yuyv"
fi

# --- every format on the real device, and the conversion + write timings (TCG-slow) --------
log "bench: portseg vcam --bench --size 640x480 (YUYV, NV12, I420 opened and written)"
timeout 300 node "$SLIM" vcam --bench --size 640x480 --frames 10 --json > "$OUT/bench.json" 2> "$OUT/bench.err"

# --- 2. headless Chromium, getUserMedia as Meet does -----------------------------------------
if [ "$CHROMIUM" = 1 ]; then
    # 640x480: under TCG a 720p producer and Chromium starve each other of the 2 vCPUs
    log "2. chromium getUserMedia while portseg vcam --pattern 640x480 runs"
    start producer4 "$SLIM" --pattern --size 640x480 --fps 30 --json
    P4=$P
    wait_capture 60 > /dev/null
    first_frame producer4 120 > /dev/null
    timeout 420 node "$HERE/gum.mjs" 640 480 8 "$OUT/chromium.json" > "$OUT/chromium.log" 2>&1
    stop_producer "$P4"; rc=$RC
    echo "{\"producerExit\": $rc, \"outputOnlyAfterClose\": $(json_bool output_only)}" > "$OUT/step2.json"
    log "   $(tail -c 600 "$OUT/chromium.log")"
fi

# --- error paths on a real machine: no module loaded ------------------------------------------
if [ "$(id -u)" = 0 ]; then
    log "errors: rmmod v4l2loopback, then portseg vcam --pattern"
    if rmmod v4l2loopback 2> "$OUT/rmmod.err"; then
        pv --pattern --seconds 1 > /dev/null 2> "$OUT/nomodule.err"
        echo "$?" > "$OUT/nomodule.rc"
        pv --status --json > "$OUT/status-nomodule.json" 2> /dev/null
        modprobe v4l2loopback 2> "$OUT/modprobe.err"
    fi
fi
log "done"
