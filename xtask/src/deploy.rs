//! Checks of `deploy/template.yaml`: cfn-lint, and that every resource the
//! deployment guide (`docs/deploy-aws.md`) names is in it.

use crate::{proc, tools, Result};
use std::path::Path;

/// `cfn-lint` on the template; any error or warning fails (its exit code is
/// a bit set: 2 errors, 4 warnings, 8 informational notes).
pub fn lint(root: &Path) -> Result<()> {
    let bin = tools::ensure_aws_tools(root, false)?;
    let template = root.join("deploy/template.yaml");
    let status = proc::command(bin.join("cfn-lint"), &[&template.to_string_lossy()], &[])
        .status()
        .map_err(|e| format!("could not run cfn-lint: {e}"))?;
    match status.code() {
        Some(0) | Some(8) => {}
        Some(code) => {
            return Err(format!(
                "cfn-lint found {} in deploy/template.yaml (exit code {code})",
                match (code & 2 != 0, code & 4 != 0) {
                    (true, true) => "errors and warnings",
                    (true, false) => "errors",
                    _ => "warnings",
                }
            ))
        }
        None => return Err("cfn-lint was stopped by a signal".into()),
    }
    let guide = std::fs::read_to_string(root.join(GUIDE)).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    let missing = missing_resources(&guide, &text);
    if !missing.is_empty() {
        return Err(format!(
            "{GUIDE} names resources deploy/template.yaml does not have: {}",
            missing.join(", ")
        ));
    }
    println!(
        "  cfn-lint: clean; the {} resources {GUIDE} names are in the template",
        guide_resources(&guide).len()
    );
    Ok(())
}

/// The deployment guide, whose resource table the template must cover.
const GUIDE: &str = "docs/deploy-aws.md";

/// The logical ids in the first column of the guide's resource table (the
/// first table headed `| resource |`): every \`Name\` in the first cell of
/// its rows.
pub fn guide_resources(guide: &str) -> Vec<String> {
    let mut table = false;
    let mut seen = false;
    let mut names = Vec::new();
    for line in guide.lines() {
        let starts = !seen && line.starts_with("| resource |");
        seen |= starts;
        table = starts || (table && line.starts_with('|'));
        if !table {
            continue;
        }
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let first_cell = row.split('|').next().unwrap_or("");
        // Backticked names sit at the odd positions of the split.
        for name in format!("`{first_cell}").split('`').skip(1).step_by(2) {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The logical ids under the template's `Resources:` (two-space keys).
pub fn template_resources(template: &str) -> Vec<String> {
    let mut inside = false;
    let mut names = Vec::new();
    for line in template.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            inside = line.trim_end() == "Resources:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(key) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !key.starts_with(' ') && !key.starts_with('#') {
                names.push(key.to_owned());
            }
        }
    }
    names
}

/// Resources the guide names that the template lacks.
pub fn missing_resources(guide: &str, template: &str) -> Vec<String> {
    let have = template_resources(template);
    guide_resources(guide)
        .into_iter()
        .filter(|n| !have.contains(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "Parameters:\n  VpcId:\n    Type: String\nResources:\n  # a comment\n  ServerFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n  SiteBucket:\n    Type: AWS::S3::Bucket\nOutputs:\n  SiteUrl:\n    Value: x\n";

    #[test]
    fn reads_the_template_resources_only() {
        assert_eq!(
            template_resources(TEMPLATE),
            ["ServerFunction", "SiteBucket"]
        );
    }

    #[test]
    fn a_resource_named_in_the_guide_but_absent_is_reported() {
        let guide = "# Deploy to AWS\n\n| resource | what |\n| --- | --- |\n| `ServerFunction` | the `bootstrap` |\n| `DatabaseProxy`, `SiteBucket` | RDS Proxy |\n\n| parameter | what |\n| `VpcId` | yours |\n\n## Budgets\n\n| resource | x |\n| `NotAResource` | x |\n";
        assert_eq!(
            guide_resources(guide),
            ["ServerFunction", "DatabaseProxy", "SiteBucket"]
        );
        assert_eq!(missing_resources(guide, TEMPLATE), ["DatabaseProxy"]);
    }

    /// The real files: every resource the deployment guide lists is in
    /// deploy/template.yaml (and it lists some).
    #[test]
    fn the_guide_names_only_resources_the_template_has() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let guide = std::fs::read_to_string(root.join(GUIDE)).unwrap();
        let template = std::fs::read_to_string(root.join("deploy/template.yaml")).unwrap();
        assert!(
            guide_resources(&guide).len() >= 10,
            "{:?}",
            guide_resources(&guide)
        );
        assert_eq!(missing_resources(&guide, &template), Vec::<String>::new());
    }
}
