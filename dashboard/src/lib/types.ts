/**
 * The API's shapes, named for the dashboard. Every type here is an alias onto the types generated
 * from the backend's OpenAPI schema (`api-schema.d.ts`, written by `npm run gen:api`; a test fails
 * when it differs from the API), plus the few lists the dashboard shows as choices.
 */
import type { components } from "./api-schema";

type S = components["schemas"];

export type Tokens = S["TokensOut"];
export type SignupOut = S["SignupOut"];
export type Me = S["MeOut"];

/** The backend's page of a list (`Page[...]` in the schema). */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}

export type DayCount = S["DayCount"];
export type NamedCount = S["NamedCount"];
export type TenantStats = S["TenantStats"];
export type PlatformStats = S["PlatformStats"];

export type WidgetSettings = S["WidgetSettings"];

/**
 * GET /customer/config. The schema types the nested settings as free dicts (they are stored as
 * JSON and validated on the way in); their known keys are those of the input schemas.
 */
export type BotConfig = Omit<S["BotConfigOut"], "pii" | "handoff" | "widget" | "knowledge"> & {
  pii: Partial<S["PiiPolicy"]> & Record<string, unknown>;
  handoff: S["HandoffRules"] & Record<string, unknown>;
  /** how knowledge is searched: the built-in embedding model, or the LLM provider's embeddings */
  knowledge?: Partial<S["KnowledgeSettings"]> & Record<string, unknown>;
  widget: Partial<S["WidgetSettings"]> & Record<string, unknown>;
};

export type DocumentSummary = S["DocumentSummary"];
export type DocumentOut = S["DocumentOut"];

/** A group of near-duplicate unanswered visitor questions (GET /knowledge/gaps). */
export type GapGroup = S["GapGroupOut"];
export type GapReason = GapGroup["reasons"][number];
export type GapAnswerOut = S["GapAnswerOut"];

export type ConversationSummary = S["ConversationSummaryOut"];
export type ConversationStatus = ConversationSummary["status"];
export type TranscriptMessage = S["TranscriptMessageOut"];
export type Transcript = S["TranscriptOut"];

export type Lead = S["LeadOut"];
export type LeadStatus = Lead["status"];
export const LEAD_STATUSES = ["new", "contacted", "qualified", "won", "lost"] as const satisfies readonly LeadStatus[];

export type ApiKey = S["ApiKeyOut"];
export type ApiKeyCreated = S["ApiKeyCreated"];

export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export type Member = S["MemberOut"];
export type Invitation = S["InvitationOut"];
export type Team = S["TeamOut"];

export type Tenant = S["TenantOut"];
export const PLANS = ["free", "starter", "pro", "enterprise"] as const;

export type Account = S["AccountOut"];
export type AuditEvent = S["AuditEventOut"];

export type Source = S["SourceOut"];
export type ChatResponse = S["ChatResponse"];

export type CrispStatus = S["CrispStatusOut"];

export type BillingPlan = S["PlanOut"];
export type ServiceLevel = S["ServiceOut"]["level"];
export type Counted = S["Counted"];
export type Invoice = S["InvoiceOut"];
export type Billing = S["BillingOut"];
export type BillingRedirect = S["RedirectOut"];
export type TenantBilling = S["TenantBillingOut"];
export type SubscriptionOverview = S["SubscriptionOverview"];
export type BillingOverrideIn = S["BillingOverrideIn"];

export type KnowledgeImport = S["ImportOut"];
export type ImportStatus = KnowledgeImport["status"];
export type WebhookEvent = S["WebhookEventOut"];
