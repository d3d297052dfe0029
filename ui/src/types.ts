/** Shapes of the API's answers the pages share (the OpenAPI document at /api/v1/openapi.json describes them all). */
export interface Alert {
  id: string;
  detector: string;
  severity: string;
  principal: string;
  models: string[];
  at: string;
  observed: number;
  baseline: number;
  threshold: number;
  evidence: string[];
  techniques: string[];
  explanation: string;
}
