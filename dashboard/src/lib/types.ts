export interface Tokens {
  access_token: string;
  refresh_token: string | null; // null for the dashboard: its refresh token is an HttpOnly cookie
  token_type?: string;
  expires_in: number;
  session_id: string;
}

export interface SignupOut extends Tokens {
  tenant_id: string;
  secret_key: string;
  publishable_key: string | null;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  tenant_id: string | null;
  tenant_name: string | null;
  role: string | null;
  platform_role: string | null;
  permissions: string[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}

export interface DayCount {
  day: string;
  messages: number;
}

export interface NamedCount {
  name: string;
  count: number;
}

export interface TenantStats {
  messages_per_day: DayCount[];
  conversations: number;
  handoffs: number;
  leads: number;
  leads_by_status: NamedCount[];
  top_intents: NamedCount[];
}

export interface PlatformStats {
  tenants: number;
  suspended_tenants: number;
  messages_per_day: DayCount[];
  leads: number;
  failed_deliveries: number;
  skipped_events: number;
}

export interface WidgetSettings {
  color?: string;
  avatar_url?: string | null;
  position?: "right" | "left";
  show_sources?: boolean;
  hide_branding?: boolean;
  placeholder?: string | null;
}

export interface BotConfig {
  business_name: string;
  bot_name: string;
  greeting: string | null;
  tone: string;
  instructions: string;
  system_prompt: string | null;
  language: string | null;
  default_language: string;
  booking_url: string | null;
  intents: Record<string, unknown>[];
  pii: { store?: "redacted" | "raw"; default_region?: string; custom_patterns?: unknown[] } & Record<string, unknown>;
  handoff: { keywords?: string[]; intents?: string[] } & Record<string, unknown>;
  llm: {
    model: string;
    temperature: number;
    max_tokens: number;
    history_turns: number;
    base_url: string | null;
    classify_intents: boolean;
    api_key_set: boolean;
  };
  session_per_minute: number | null;
  /** how knowledge is searched: the built-in embedding model, or the LLM provider's embeddings */
  knowledge?: { embeddings?: "embedded" | "openai" } & Record<string, unknown>;
  widget: WidgetSettings & Record<string, unknown>;
  updated_at: string | null;
}

export interface DocumentSummary {
  id: string;
  name: string;
  version: number;
  chars: number;
  chunks: number;
  /** chunks whose embedding the background job has written; "pending" until all have one */
  embedded_chunks: number;
  indexing: "ready" | "pending";
  updated_at: string;
}

export interface DocumentOut extends DocumentSummary {
  content: string;
}

export type GapReason = "no_answer" | "low_score" | "rated_down" | "handed_off";

/** A group of near-duplicate unanswered visitor questions (GET /knowledge/gaps). */
export interface GapGroup {
  question: string;
  questions: string[];
  count: number;
  reasons: GapReason[];
  first_asked_at: string;
  last_asked_at: string;
  conversation_ids: string[];
}

export interface GapAnswerOut {
  document: DocumentSummary;
  resolved: number;
}

export type ConversationStatus = "open" | "handoff" | "closed";

export interface ConversationSummary {
  id: string;
  session_id: string;
  channel: string;
  status: ConversationStatus;
  language: string | null;
  created_at: string;
  updated_at: string;
  message_count: number;
  last_message: string | null;
  last_message_role: "user" | "assistant" | "operator" | "system" | null;
  last_message_at: string | null;
  last_intent: string | null;
}

export interface TranscriptMessage {
  id: string;
  role: "user" | "assistant" | "operator" | "system";
  content: string;
  intent: string | null;
  meta: Record<string, unknown>;
  tokens: number | null;
  latency_ms: number | null;
  model: string | null;
  /** The visitor's rating of an answer. */
  rating?: "up" | "down" | null;
  created_at: string;
}

export interface Transcript {
  id: string;
  session_id: string;
  channel: string;
  status: ConversationStatus;
  language: string | null;
  created_at: string;
  updated_at: string;
  messages: TranscriptMessage[];
}

export const LEAD_STATUSES = ["new", "contacted", "qualified", "won", "lost"] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export interface Lead {
  id: string;
  conversation_id: string | null;
  intent: string | null;
  contact: { name?: string | null; email?: string | null; phone?: string | null; company?: string | null };
  status: LeadStatus;
  created_at: string;
  updated_at: string;
}

export interface ApiKey {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  key_prefix: string;
  scopes: string[];
  allowed_origins: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: string;
  joined_at: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: string;
  created_at: string;
  expires_at: string;
}

export interface Team {
  members: Member[];
  invitations: Invitation[];
}

export interface Tenant {
  id: string;
  name: string;
  email: string;
  slug: string;
  plan: string;
  subscription_status: string;
  created_at: string;
  suspended_at: string | null;
}

export const PLANS = ["free", "starter", "pro", "enterprise"] as const;

export interface Account {
  id: string;
  email: string;
  name: string;
  role: string | null;
}

export interface AuditEvent {
  id: string;
  tenant_id: string | null;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

export interface Source {
  document_id: string;
  document_name: string;
  heading: string | null;
  snippet: string;
  score: number;
}

export interface ChatResponse {
  reply: string;
  conversation_id: string;
  message_id: string;
  intent: string;
  confidence: number;
  language: string | null;
  sources: Source[];
  lead: { id: string; status: string; captured: string[] } | null;
  handoff: boolean;
}

export interface CrispStatus {
  connected: boolean;
  website_id?: string | null;
  identifier?: string | null;
  has_key?: boolean;
  has_signing_secret?: boolean;
  webhook_url?: string | null;
  deliveries?: { pending: number; sent: number; failed: number };
  last_event_at?: string | null;
  updated_at?: string | null;
}

export interface BillingPlan {
  name: string;
  title: string;
  /** A month, in the currency's smallest unit. */
  price_cents: number;
  currency: string;
  /** null: unlimited */
  monthly_messages: number | null;
  knowledge_documents: number | null;
  seats: number | null;
  channels: string[];
  remove_branding: boolean;
  trial_days: number;
  purchasable: boolean;
}

export type ServiceLevel = "full" | "offline" | "suspend";

export interface Counted {
  used: number;
  limit: number | null;
}

export interface Invoice {
  id: string | null;
  number: string | null;
  status: string | null;
  /** cents */
  amount_due: number;
  amount_paid: number;
  currency: string;
  created: string | null;
  period_start: string | null;
  period_end: string | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
}

export interface Billing {
  plan: BillingPlan;
  status: string;
  service: { level: ServiceLevel; reason: string | null; grace_until: string | null };
  /** A live Stripe subscription: changes go through the portal. */
  subscribed: boolean;
  period_start: string;
  period_end: string;
  trial_end: string | null;
  cancel_at_period_end: boolean;
  override: { plan: string | null; comped: boolean; note: string | null } | null;
  usage: { messages: number; quota: number | null };
  seats: Counted;
  documents: Counted;
  invoices: Invoice[];
  invoices_error: string | null;
  plans: BillingPlan[];
  billing_enabled: boolean;
}

export interface BillingRedirect {
  url: string;
  id?: string | null;
}

export interface TenantBilling {
  tenant_id: string;
  tenant_name: string;
  plan: string;
  status: string;
  mrr_cents: number;
  period_end: string | null;
  past_due_since: string | null;
  plan_override: string | null;
  comped: boolean;
  note: string | null;
}

export interface SubscriptionOverview {
  mrr_cents: number;
  currency: string;
  active_subscriptions: number;
  by_status: Record<string, number>;
  by_plan: Record<string, number>;
  accounts: TenantBilling[];
}

export interface BillingOverrideIn {
  plan_override: string | null;
  comped: boolean;
  note: string | null;
}

export type ImportStatus = "queued" | "running" | "done" | "failed";

export interface KnowledgeImport {
  id: string;
  kind: "website" | "file";
  source: string;
  status: ImportStatus;
  pages_found: number;
  pages_fetched: number;
  pages_indexed: number;
  pages_unchanged: number;
  pages_failed: number;
  errors: { item: string; reason: string }[];
  max_pages: number;
  resync_hours: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  next_sync_at: string | null;
  documents: number;
}
