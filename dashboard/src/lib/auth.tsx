"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, clearTokens, getAccessToken, refreshOnce, setTokens } from "./api";
import type { Me, Tokens } from "./types";

type Status = "loading" | "authed" | "anon";

interface AuthState {
  status: Status;
  me: Me | null;
  /** Store tokens (after login/signup/invite) and load the user. */
  signIn: (tokens: Pick<Tokens, "access_token">) => Promise<Me>;
  reload: () => Promise<Me | null>;
  logout: () => Promise<void>;
  can: (permission: string) => boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function homeFor(me: Me): string {
  return me.platform_role ? "/admin/" : me.tenant_id ? "/app/" : "/login/";
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("loading");
  const [me, setMe] = useState<Me | null>(null);

  const reload = useCallback(async (): Promise<Me | null> => {
    // a page load: the access token is only ever in memory, so get one from the refresh cookie
    if (!getAccessToken() && !(await refreshOnce())) {
      setMe(null);
      setStatus("anon");
      return null;
    }
    try {
      const res = await api.get<Me>("/auth/me");
      setMe(res.data);
      setStatus("authed");
      return res.data;
    } catch {
      setMe(null);
      setStatus("anon");
      return null;
    }
  }, []);

  useEffect(() => {
    // only after hydration: the session lives in the refresh cookie, outside React
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the state is set when the refresh answers
    void reload();
  }, [reload]);

  const signIn = useCallback(async (tokens: Pick<Tokens, "access_token">) => {
    setTokens(tokens);
    const res = await api.get<Me>("/auth/me");
    setMe(res.data);
    setStatus("authed");
    return res.data;
  }, []);

  const logout = useCallback(async () => {
    try {
      if (getAccessToken()) await api.post("/auth/logout");
    } catch {
      /* the session may already be gone */
    }
    clearTokens();
    setMe(null);
    setStatus("anon");
    // a full load, not router.push: nothing of the signed-out session stays in memory
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination
    window.location.assign("/login/");
  }, []);

  const can = useCallback((p: string) => !!me?.permissions.includes(p), [me]);

  const value = useMemo(() => ({ status, me, signIn, reload, logout, can }), [status, me, signIn, reload, logout, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
