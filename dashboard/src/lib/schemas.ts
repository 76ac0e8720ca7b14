/** Zod schemas mirroring the API's limits (see /api/v1 OpenAPI). */
import { z } from "zod";

export const EMAIL_RE = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$/;
export const ORIGIN_RE = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

export const email = z
  .string()
  .trim()
  .min(1, "Email is required")
  .max(320, "Email is too long")
  .regex(EMAIL_RE, "Enter a valid email");

export const newPassword = z
  .string()
  .min(10, "Password must be at least 10 characters")
  .max(200, "Password must be at most 200 characters");

export const origin = z
  .string()
  .trim()
  .max(200, "Website is too long")
  .regex(ORIGIN_RE, "Must look like https://shop.example.com");

export const optionalOrigin = z.union([z.literal(""), origin]);

export const loginSchema = z.object({
  email,
  password: z.string().min(1, "Password is required").max(200, "Password is too long"),
});

export const signupSchema = z.object({
  business_name: z.string().trim().min(1, "Business name is required").max(200, "At most 200 characters"),
  name: z.string().trim().max(200, "At most 200 characters"),
  email,
  password: newPassword,
  website: optionalOrigin,
});

export const forgotSchema = z.object({ email });

export const resetSchema = z
  .object({ password: newPassword, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: "Passwords do not match", path: ["confirm"] });

export const acceptSchema = z.object({
  name: z.string().trim().min(1, "Your name is required").max(200, "At most 200 characters"),
  password: newPassword,
});

export const businessInfoSchema = z.object({
  business_name: z.string().trim().min(1, "Business name is required").max(200, "At most 200 characters"),
  bot_name: z.string().trim().min(1, "Bot name is required").max(80, "At most 80 characters"),
  greeting: z.string().max(500, "At most 500 characters"),
  website: optionalOrigin,
});

export const faqPair = z.object({
  question: z.string().trim().min(1, "Question is required").max(2000, "At most 2000 characters"),
  answer: z.string().trim().min(1, "Answer is required").max(10000, "At most 10000 characters"),
});

export const docNameSchema = z.string().trim().min(1, "Name is required").max(200, "At most 200 characters");
export const docContentSchema = z
  .string()
  .min(1, "Content is required")
  .max(200000, "At most 200,000 characters");

export const documentSchema = z.object({ name: docNameSchema, content: docContentSchema });

export const faqDocumentSchema = z.object({
  name: docNameSchema,
  faq: z.array(faqPair).min(1, "Add at least one question"),
});

export const keyCreateSchema = z.object({
  name: z.string().trim().max(200, "At most 200 characters"),
  type: z.enum(["secret", "publishable"]),
  allowed_origins: z.string(),
}).superRefine((v, ctx) => {
  const list = splitList(v.allowed_origins);
  for (const o of list) {
    if (!ORIGIN_RE.test(o)) {
      ctx.addIssue({ code: "custom", path: ["allowed_origins"], message: `"${o}" must look like https://shop.example.com` });
      return;
    }
  }
  if (v.type === "publishable" && list.length === 0) {
    ctx.addIssue({ code: "custom", path: ["allowed_origins"], message: "A publishable key needs at least one origin" });
  }
});

export const crispSchema = z.object({
  website_id: z
    .string()
    .trim()
    .min(8, "Website ID must be at least 8 characters")
    .max(64, "At most 64 characters")
    .regex(/^[A-Za-z0-9-]+$/, "Letters, digits and dashes only"),
  identifier: z.string().trim().min(1, "Identifier is required").max(200, "At most 200 characters"),
  key: z.string().trim().max(500, "At most 500 characters"),
  signing_secret: z.string().trim().max(500, "At most 500 characters"),
});

/** Intent actions the API accepts, with the labels the dashboard shows. */
export const INTENT_ACTIONS = ["answer", "capture_lead", "offer_booking", "handoff"] as const;
export type IntentAction = (typeof INTENT_ACTIONS)[number];
export const INTENT_ACTION_LABELS: Record<IntentAction, string> = {
  answer: "Answer",
  capture_lead: "Capture a lead",
  offer_booking: "Offer the booking link",
  handoff: "Hand off to a person",
};

/** The backend's built-in intents; an intent with one of these names overrides it. */
export const BUILTIN_INTENTS = ["greeting", "pricing", "booking", "contact", "support", "human_handoff", "complaint"] as const;

/** Names whose empty lists are allowed (they inherit the built-in's rules, or never match by design). */
export function inheritsRules(name: string): boolean {
  return name === "other" || (BUILTIN_INTENTS as readonly string[]).includes(name);
}

/** One line per item: for examples and regex patterns, which may contain commas. */
export function splitLines(s: string): string[] {
  return s
    .split("\n")
    .map((x) => x.trim())
    .filter(Boolean);
}

export const intentSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, "Name is required")
      .max(50, "At most 50 characters")
      .regex(/^[a-z][a-z0-9_]*$/, "Start with a lowercase letter; use only a-z, 0-9 and _"),
    keywords: z.string(),
    patterns: z.string(),
    examples: z.string(),
    action: z.enum(INTENT_ACTIONS, { message: "Choose an action" }),
  })
  .superRefine((v, ctx) => {
    const keywords = splitList(v.keywords);
    const patterns = splitLines(v.patterns);
    const examples = splitLines(v.examples);
    if (keywords.length > 200) ctx.addIssue({ code: "custom", path: ["keywords"], message: `At most 200 keywords (${keywords.length})` });
    if (patterns.length > 50) ctx.addIssue({ code: "custom", path: ["patterns"], message: `At most 50 patterns (${patterns.length})` });
    if (examples.length > 200) ctx.addIssue({ code: "custom", path: ["examples"], message: `At most 200 examples (${examples.length})` });
    if (!inheritsRules(v.name.trim()) && keywords.length + patterns.length + examples.length === 0) {
      ctx.addIssue({ code: "custom", path: ["keywords"], message: "Add at least one keyword or example, or it can never match" });
    }
  });

export const configSchema = z.object({
  business_name: z.string().trim().max(200, "At most 200 characters"),
  bot_name: z.string().trim().min(1, "Bot name is required").max(80, "At most 80 characters"),
  greeting: z.string().max(500, "At most 500 characters"),
  tone: z.string().max(200, "At most 200 characters"),
  instructions: z.string().max(4000, "At most 4000 characters"),
  system_prompt: z.string().max(8000, "At most 8000 characters"),
  language: z.union([z.literal(""), z.string().regex(/^[a-z]{2}$/, "Two lowercase letters, e.g. en")]),
  default_language: z.string().regex(/^[a-z]{2}$/, "Two lowercase letters, e.g. en"),
  booking_url: z.union([
    z.literal(""),
    z.string().max(500, "At most 500 characters").regex(/^https?:\/\/\S+$/, "Must start with http:// or https://"),
  ]),
  pii_store: z.enum(["redacted", "raw"]),
  knowledge_embeddings: z.enum(["embedded", "openai"]),
  handoff_keywords: z
    .string()
    .max(4000, "Too many keywords")
    .refine((v) => splitList(v).length <= 100, "At most 100 keywords"),
  handoff_intents: z.array(z.string()).max(50, "At most 50 intents"),
  intents: z
    .array(intentSchema)
    .max(50, "At most 50 intents")
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((it, i) => {
        const name = it.name.trim();
        if (name && seen.has(name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `“${name}” is defined twice` });
        seen.add(name);
      });
    }),
  widget_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "Use a colour like #2563eb"),
  widget_avatar_url: z.union([
    z.literal(""),
    z.string().max(500, "At most 500 characters").regex(/^https?:\/\/\S+$/, "Must start with http:// or https://"),
  ]),
  widget_position: z.enum(["right", "left"]),
  widget_show_sources: z.boolean(),
  widget_hide_branding: z.boolean(),
  widget_placeholder: z.string().max(100, "At most 100 characters"),
});

export const inviteSchema = z.object({
  email,
  role: z.enum(["owner", "admin", "member", "viewer"]),
});

export const accountSchema = z
  .object({
    name: z.string().trim().max(200, "At most 200 characters"),
    current_password: z.string().max(200),
    new_password: z.union([z.literal(""), newPassword]),
  })
  .refine((v) => !v.new_password || v.current_password.length > 0, {
    message: "Enter your current password to change it",
    path: ["current_password"],
  });

export const businessSchema = z.object({
  name: z.string().trim().min(1, "Business name is required").max(200, "At most 200 characters"),
  email,
});

export const tenantCreateSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(200, "At most 200 characters"),
  email,
  plan: z.enum(["free", "starter", "pro", "enterprise"]),
  owner_email: z.union([z.literal(""), email]),
});

export function splitList(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}
