/**
 * Where the input comes from: a canvas to draw a digit on (mouse, pen or finger), a few sample
 * strokes (keyboard users), or an uploaded picture. Reports the picture as an RGBA raster; the
 * SDK's `imageToDigit` turns it into an MNIST digit.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { RgbaImage } from "proofwork";

const SIZE = 280;
const PEN = 22;

/** Sample digits as strokes in a 0..1 square (polylines). */
const SAMPLES: Record<string, [number, number][][]> = {
  "0": [
    Array.from({ length: 33 }, (_, i): [number, number] => [
      0.5 + 0.22 * Math.sin((i / 32) * 2 * Math.PI),
      0.5 - 0.32 * Math.cos((i / 32) * 2 * Math.PI),
    ]),
  ],
  "1": [
    [
      [0.42, 0.28],
      [0.54, 0.18],
      [0.54, 0.82],
    ],
  ],
  "4": [
    [
      [0.58, 0.18],
      [0.26, 0.6],
      [0.74, 0.6],
    ],
    [
      [0.6, 0.36],
      [0.6, 0.84],
    ],
  ],
  "7": [
    [
      [0.28, 0.2],
      [0.72, 0.2],
      [0.44, 0.84],
    ],
  ],
};

export function DigitCanvas({ onImage }: { onImage: (img: RgbaImage | undefined, source: string) => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const last = useRef<[number, number] | null>(null);
  const [uploadError, setUploadError] = useState<string>();

  const ctx = () => canvas.current?.getContext("2d", { willReadFrequently: true }) ?? null;

  const clear = useCallback(() => {
    const c = ctx();
    if (c === null) return;
    c.fillStyle = "#000";
    c.fillRect(0, 0, SIZE, SIZE);
  }, []);

  const report = useCallback(
    (source: string) => {
      const c = ctx();
      if (c === null) return;
      onImage(c.getImageData(0, 0, SIZE, SIZE), source);
    },
    [onImage],
  );

  useEffect(() => {
    clear();
  }, [clear]);

  const point = (e: React.PointerEvent<HTMLCanvasElement>): [number, number] => {
    const r = e.currentTarget.getBoundingClientRect();
    return [((e.clientX - r.left) * SIZE) / r.width, ((e.clientY - r.top) * SIZE) / r.height];
  };

  const stroke = (from: [number, number], to: [number, number]) => {
    const c = ctx();
    if (c === null) return;
    c.strokeStyle = "#fff";
    c.lineWidth = PEN;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.beginPath();
    c.moveTo(from[0], from[1]);
    c.lineTo(to[0], to[1]);
    c.stroke();
  };

  const sample = (digit: string) => {
    clear();
    for (const line of SAMPLES[digit]!) {
      for (let i = 1; i < line.length; i++) {
        stroke([line[i - 1]![0] * SIZE, line[i - 1]![1] * SIZE], [line[i]![0] * SIZE, line[i]![1] * SIZE]);
      }
    }
    report(`sample ${digit}`);
  };

  const upload = async (file: File) => {
    setUploadError(undefined);
    try {
      const bitmap = await createImageBitmap(file);
      // the picture at (at most) 560 px for the digit, so photos stay quick to process
      const scale = Math.min(1, 560 / Math.max(bitmap.width, bitmap.height));
      const w = Math.max(1, Math.round(bitmap.width * scale));
      const h = Math.max(1, Math.round(bitmap.height * scale));
      const off = document.createElement("canvas");
      off.width = w;
      off.height = h;
      const oc = off.getContext("2d", { willReadFrequently: true })!;
      oc.drawImage(bitmap, 0, 0, w, h);
      const data = oc.getImageData(0, 0, w, h);
      // show it on the canvas, fitted, on its own background colour
      const c = ctx();
      if (c !== null) {
        const [r, g, b] = data.data;
        c.fillStyle = `rgb(${r},${g},${b})`;
        c.fillRect(0, 0, SIZE, SIZE);
        const fit = Math.min(SIZE / w, SIZE / h);
        c.drawImage(bitmap, (SIZE - w * fit) / 2, (SIZE - h * fit) / 2, w * fit, h * fit);
      }
      onImage(data, `upload ${file.name}`);
    } catch {
      setUploadError(`${file.name} could not be read as an image.`);
    }
  };

  return (
    <div className="digit-input">
      <canvas
        ref={canvas}
        width={SIZE}
        height={SIZE}
        className="digit-canvas"
        role="img"
        aria-label="Drawing area: draw one digit with the mouse, a pen or a finger"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drawing.current = true;
          const p = point(e);
          last.current = p;
          stroke(p, p);
        }}
        onPointerMove={(e) => {
          if (!drawing.current || last.current === null) return;
          const p = point(e);
          stroke(last.current, p);
          last.current = p;
        }}
        onPointerUp={() => {
          if (!drawing.current) return;
          drawing.current = false;
          last.current = null;
          report("drawing");
        }}
        onPointerCancel={() => {
          drawing.current = false;
          last.current = null;
        }}
      />
      <div className="row wrap">
        <button
          type="button"
          onClick={() => {
            clear();
            onImage(undefined, "cleared");
          }}
        >
          Clear
        </button>
        <label className="button">
          Upload an image…
          <input
            type="file"
            accept="image/*"
            className="visually-hidden"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f !== undefined) void upload(f);
              e.currentTarget.value = "";
            }}
          />
        </label>
        <span className="muted">or a sample:</span>
        {Object.keys(SAMPLES).map((d) => (
          <button type="button" key={d} onClick={() => sample(d)} aria-label={`Draw a sample ${d}`}>
            {d}
          </button>
        ))}
      </div>
      {uploadError !== undefined && <p className="error-text">{uploadError}</p>}
    </div>
  );
}

/** Bytes (one per pixel, `side × side`) as an enlarged greyscale picture. */
export function ByteGrid({ bytes, side, label }: { bytes: Uint8Array; side: number; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current?.getContext("2d");
    if (c === null || c === undefined || bytes.length !== side * side) return;
    const img = c.createImageData(side, side);
    for (let i = 0; i < bytes.length; i++) {
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = bytes[i]!;
      img.data[4 * i + 3] = 255;
    }
    c.putImageData(img, 0, 0);
  }, [bytes, side]);
  return (
    <canvas ref={canvas} width={side} height={side} className="byte-grid" role="img" aria-label={label} />
  );
}
